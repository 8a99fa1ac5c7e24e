from flask import Flask
api = Flask(__name__)
