from bokeh.io import curdoc
from bokeh.layouts import column
from bokeh.models import Slider

slider = Slider(start=0, end=10, value=1, step=0.1, title="Amplitude")
curdoc().add_root(column(slider))
curdoc().title = "Sliders"
