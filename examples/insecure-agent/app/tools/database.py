"""Database tools: the knowledge graph (Neo4j) and the CRM reporting database (Postgres)."""

from app.connections import get_neo4j_driver, get_pg
from app.tools import params, tool


@tool(
    "graph_query",
    "Find entities related to a named entity in the knowledge graph (Neo4j 5, bolt://graph.corp.internal:7687, database 'prod', nodes :Entity, relationships :MENTIONS|:WORKS_FOR|:OWNS).",
    params(entity="exact entity name", relationship="relationship type, e.g. MENTIONS"),
)
def graph_query(entity: str, relationship: str = "MENTIONS") -> list[dict]:
    query = f"MATCH (e:Entity {{name: '{entity}'}})-[:{relationship}]->(n) RETURN n.name AS name, labels(n) AS labels LIMIT 50"
    with get_neo4j_driver().session(database="prod") as session:
        result = session.run(query)
        return [record.data() for record in result]


@tool("customer_lookup", "Look up rows about a customer in a CRM reporting table (tables: accounts, invoices, tickets).", params(table="table name", customer="customer name"))
def customer_lookup(table: str, customer: str) -> list[tuple]:
    conn = get_pg()
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT * FROM {table} WHERE customer_name = '{customer}' ORDER BY created_at DESC LIMIT 100")
            return cur.fetchall()
    finally:
        conn.close()
