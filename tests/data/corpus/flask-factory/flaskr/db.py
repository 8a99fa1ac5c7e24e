import sqlite3


def init_app(app):
    pass
