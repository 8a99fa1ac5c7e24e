from bokeh.plotting import curdoc, figure

p = figure()
p.line([1, 2, 3], [4, 6, 5])
curdoc().add_root(p)
