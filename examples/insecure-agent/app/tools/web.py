"""Web and workspace tools."""

import os
import subprocess

import requests

from app.config import settings
from app.tools import params, tool

USER_AGENT = "ResearchBot/0.4 (+https://wiki.example.com/researchbot)"


@tool("fetch_url", "Download a web page or API response and return its text.", params(url="absolute http(s) URL"))
def fetch_url(url: str) -> str:
    response = requests.get(url, headers={"User-Agent": USER_AGENT})
    return response.text[:20_000]


@tool("read_file", "Read a text file from the research workspace.", params(path="path relative to the workspace"))
def read_file(path: str) -> str:
    with open(os.path.join(settings.workspace_dir, path), encoding="utf-8") as fh:
        return fh.read()


@tool("clone_repo", "Clone a git repository into the workspace so its files can be read.", params(repo_url="git URL", name="directory name"))
def clone_repo(repo_url: str, name: str) -> str:
    dest = os.path.join(settings.workspace_dir, "repos", name)
    subprocess.run(["git", "clone", "--depth", "1", repo_url, dest], check=True, timeout=300)  # noqa: S603
    return dest
