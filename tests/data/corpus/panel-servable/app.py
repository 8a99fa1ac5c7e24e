import panel as pn

pn.extension(sizing_mode="stretch_width")

slider = pn.widgets.IntSlider(name="Number", start=0, end=10)
pn.Column(slider, pn.bind(lambda n: "*" * n, slider)).servable(title="Stars")
