import dash
from dash import Dash, html

app = Dash(__name__, use_pages=True)
server = app.server

app.layout = html.Div([html.H1("Multi-page app"), dash.page_container])

if __name__ == "__main__":
    app.run(debug=True)
