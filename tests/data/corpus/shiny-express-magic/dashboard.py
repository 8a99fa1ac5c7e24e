# shiny_mode: express
from shiny import ui

ui.h2("Sales")
ui.markdown("Generated daily.")
