import panel as pn

template = pn.template.FastListTemplate(title="Dashboard")
template.main.append(pn.pane.Markdown("# Hello"))
template.servable()
