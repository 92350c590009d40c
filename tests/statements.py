"""The statements a block sends to the database, as sent: placeholders and all."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def statements_sent():
    texts = []

    def keep_text(execute, sql, params, many, context):
        texts.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep_text):
        yield texts
