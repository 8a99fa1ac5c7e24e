from shiny import reactive
from shiny.express import input, render, ui

ui.page_opts(title="Penguins", fillable=True)

with ui.sidebar():
    ui.input_slider("n", "Bins", 1, 100, 20)


@render.text
def txt():
    return f"n*2 is {input.n() * 2}"
