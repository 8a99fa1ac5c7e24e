from shiny import App, ui

app_ui = ui.page_fluid(ui.include_css("www/site.css"), ui.h1("Hello"))


def server(input, output, session):
    pass


app = App(app_ui, server)
