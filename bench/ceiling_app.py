"""The stack's ceiling: a bare Flask app that INSERTs one row per POST, served by the same
gunicorn as the app. No form, no session, no checks: the most a Flask + PostgreSQL write can do
on this machine (bench/load.py)."""

from __future__ import annotations

import os

from flask import Flask, Response, jsonify, request
from sqlalchemy import create_engine, text

engine = create_engine(os.environ["CEILING_DATABASE_URL"], pool_size=5, max_overflow=5)
app = Flask(__name__)
INSERT = text("INSERT INTO ceiling_ticket (department_id, citizen_name, body) VALUES (:dep, :name, :body) RETURNING id")


@app.post("/tickets")
def create_ticket() -> tuple[Response, int]:
    data = request.get_json(force=True)
    with engine.begin() as connection:
        values = {"dep": int(data["dep"]), "name": data["name"], "body": data["body"]}
        new_id = connection.execute(INSERT, values).scalar_one()
    return jsonify(id=new_id), 201
