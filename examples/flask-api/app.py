"""A small Flask API serving quotes from a CSV file."""

import csv
from pathlib import Path

from flask import Flask, jsonify

app = Flask(__name__)
QUOTES = Path(__file__).parent / "data" / "quotes.csv"


def load_quotes() -> list[dict[str, str]]:
    with QUOTES.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@app.get("/quotes")
def quotes():
    return jsonify(load_quotes())


@app.get("/health")
def health():
    return {"status": "ok"}
