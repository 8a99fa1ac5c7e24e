from flask import Blueprint

from .db import init_app

bp = Blueprint('auth', __name__, url_prefix='/auth')
