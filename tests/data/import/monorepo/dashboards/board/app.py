import dash

app = dash.Dash(__name__)
