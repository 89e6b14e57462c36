"""SQL databases: one :class:`~piiscan.connectors.sql.connector.SQLConnector` and one
:class:`~piiscan.connectors.sql.eraser.SQLEraser` over a :class:`~piiscan.connectors.sql.dialect.Dialect`
per database (:mod:`.sqlite`, :mod:`.postgres`, :mod:`.mysql`), sharing one
:class:`~piiscan.connectors.sql.schema.TableSchema` of each table.

The dialect modules import their drivers (psycopg, PyMySQL), so they are imported only through the
registry, when such a source is scanned; this package imports none of them.
"""
