"""HTTP API for ResearchBot."""

import logging

from fastapi import Depends, FastAPI, File, Header, HTTPException, Query, UploadFile
from jinja2 import Template
from pydantic import BaseModel

from app.agent import Agent
from app.config import settings
from app.llm import LLMClient, solve_math
from app.memory import DocumentStore
from app.storage import save_upload, unpack_dataset
from app.workflow_engine import WorkflowEngine, load_workflow, parse_workflow

logger = logging.getLogger(__name__)

app = FastAPI(title="ResearchBot", version="0.4.2")
agent = Agent()
llm = LLMClient()
documents = DocumentStore()

ANSWER_CACHE: dict[str, str] = {}


def current_user(authorization: str = Header(...)) -> str:
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        raise HTTPException(status_code=401, detail="missing bearer token")
    return credentials


class ChatRequest(BaseModel):
    session_id: str
    message: str
    user_name: str = "colleague"


class WorkflowRequest(BaseModel):
    name: str | None = None
    definition: str | None = None
    inputs: dict = {}


class RenderRequest(BaseModel):
    template: str
    variables: dict = {}


@app.post("/chat")
def chat(body: ChatRequest, user: str = Depends(current_user)) -> dict:
    key = f"{body.session_id}:{body.message}"
    if key not in ANSWER_CACHE:
        ANSWER_CACHE[key] = agent.run(body.session_id, body.message, body.user_name)
    return {"answer": ANSWER_CACHE[key]}


@app.post("/math")
def math(question: str, user: str = Depends(current_user)) -> dict:
    return {"result": solve_math(llm, question)}


@app.post("/render")
def render_prompt(body: RenderRequest, user: str = Depends(current_user)) -> dict:
    """Preview a prompt template with sample variables."""
    return {"prompt": Template(body.template).render(**body.variables)}


@app.post("/documents")
async def upload_document(tenant_id: str, uploader_email: str, uploader_phone: str = "", file: UploadFile = File(...), user: str = Depends(current_user)) -> dict:
    path = await save_upload(file)
    if path.endswith((".tar", ".tar.gz", ".tgz")):
        return {"dataset": unpack_dataset(path)}
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    documents.add(tenant_id, {"email": uploader_email, "phone": uploader_phone}, text, llm.embed(text))
    return {"path": path}


@app.get("/search")
def search(tenant_id: str, q: str, user: str = Depends(current_user)) -> dict:
    return {"results": documents.search(tenant_id, llm.embed(q))}


@app.post("/workflows/run")
def run_workflow(body: WorkflowRequest, user: str = Depends(current_user)) -> dict:
    definition = parse_workflow(body.definition) if body.definition else load_workflow(f"workflows/{body.name}.yaml")
    return {"outputs": WorkflowEngine(definition).run(body.inputs)}


@app.post("/admin/reindex")
def reindex(token: str = Query(...)) -> dict:
    if token != settings.admin_token:
        raise HTTPException(status_code=403, detail="bad token")
    documents.es.indices.refresh(index=documents.index)
    return {"status": "ok"}


@app.get("/admin/config")
def admin_config() -> dict:
    # TODO: put this behind the admin token before the launch.
    return settings.to_dict()
