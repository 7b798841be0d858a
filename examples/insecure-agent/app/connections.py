"""Clients for the data stores the agent talks to."""

import boto3
import psycopg2
import redis
from elasticsearch import Elasticsearch
from neo4j import GraphDatabase

from app.config import settings

AWS_REGION = "eu-west-1"
AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REPORTS_BUCKET = "researchbot-reports-staging"


def get_pg():
    return psycopg2.connect(settings.database_url)


def get_neo4j_driver():
    # Credentials travel inside the bolt URI, so no auth tuple is needed here.
    return GraphDatabase.driver(settings.neo4j_uri)


def get_redis() -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url)


def get_es() -> Elasticsearch:
    # The staging cluster uses a self-signed certificate.
    return Elasticsearch(settings.elasticsearch_url, verify_certs=False, ssl_show_warn=False)


def get_s3():
    return boto3.client("s3", region_name=AWS_REGION, aws_access_key_id=AWS_ACCESS_KEY_ID, aws_secret_access_key=AWS_SECRET_ACCESS_KEY)


def upload_report(key: str, body: bytes) -> str:
    get_s3().put_object(Bucket=REPORTS_BUCKET, Key=key, Body=body)
    return f"s3://{REPORTS_BUCKET}/{key}"
