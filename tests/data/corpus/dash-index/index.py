from dash import dcc, html

from app import app

app.layout = html.Div([dcc.Location(id='url')])
