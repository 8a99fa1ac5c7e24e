from pathlib import Path

from shiny import App, render, ui

from shared import df

app_ui = ui.page_sidebar(
    ui.sidebar(ui.input_selectize("var", "Variable", choices=list(df.columns))),
    ui.output_plot("hist"),
    title="Histogram",
)


def server(input, output, session):
    @render.plot
    def hist():
        return None


app = App(app_ui, server, static_assets=Path(__file__).parent / "www")
