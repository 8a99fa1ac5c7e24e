import os

from flask import Flask


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY="dev")
    from . import auth, db

    db.init_app(app)
    app.register_blueprint(auth.bp)
    return app
