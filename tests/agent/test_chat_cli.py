"""`hilo chat` in real subprocesses, and the checkpointed thread across processes and pools."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import psycopg

from agent import build_agent, run_turn
from memory import get_or_create_customer, timeline
from memory.database import open_pool
from memory.store import Memory
from tests.agent.fake_openai import FakeOpenAI, text


def hilo_chat(
    db_url: str, data_dir: str, *args: str, llm: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`hilo chat` in a subprocess. Async tests run it in a thread (`asyncio.to_thread`): their
    event loop, which holds the test's own pool, keeps running while the subprocess works."""
    env = {**os.environ, "DATABASE_URL": db_url, "HILO_DATA_DIR": data_dir, "HILO_LLM": "rules"}
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "HILO_LLM"):
        env.pop(name, None)
    env.update(llm or {"HILO_LLM": "rules"})
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "chat", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_chat_answers_about_a_stored_call_offline(
    db_url, tmp_path, memory, analysed_customer
):
    done = await asyncio.to_thread(
        hilo_chat,
        db_url,
        str(tmp_path),
        "+57 300 111 2233",
        "-v",
        "-m",
        "¿Me recuerdas cuánto te dije que podíamos pagar?",
    )
    assert done.returncode == 0, done.stderr
    assert "500 mil" in done.stdout and "recall_conversations" in done.stdout
    reply = (await timeline(memory, analysed_customer.id))[-1]
    assert reply.role == "agent" and reply.delivery_status == "console" and reply.external_id


async def test_chat_continues_the_thread_in_a_new_process(db_url, tmp_path, settings, memory):
    first = await asyncio.to_thread(
        hilo_chat, db_url, str(tmp_path), "+573001112299", "-m", "Mi correo es pedro@example.com"
    )
    assert first.returncode == 0, first.stderr
    second = await asyncio.to_thread(
        hilo_chat, db_url, str(tmp_path), "+573001112299", "-m", "Gracias"
    )
    assert second.returncode == 0, second.stderr
    assert "pedro@example.com" in first.stdout
    with psycopg.connect(db_url) as conn:
        profile = conn.execute(
            "SELECT profile FROM customers WHERE phone = '+573001112299'"
        ).fetchone()[0]
    assert profile.get("email") == "pedro@example.com"
    customer = await get_or_create_customer(memory, "+573001112299")
    agent = await build_agent(settings, memory)
    state = await agent.graph.aget_state({"configurable": {"thread_id": str(customer.id)}})
    said = [str(m.content) for m in state.values["messages"]]
    assert any("pedro@example.com" in t for t in said) and "Gracias" in said


async def test_thread_survives_a_new_agent_on_a_new_pool(
    settings, memory, call_customer, db_url, embeddings
):
    first = await build_agent(settings, memory)
    await run_turn(first, call_customer.id, "whatsapp", "Hola, soy Ana")
    pool = await open_pool(db_url, min_size=1, max_size=2)
    try:
        second = await build_agent(settings, Memory(pool=pool, embeddings=embeddings, url=db_url))
        state = await second.graph.aget_state(
            {"configurable": {"thread_id": str(call_customer.id)}}
        )
        assert any("soy Ana" in str(m.content) for m in state.values["messages"])
        result = await run_turn(second, call_customer.id, "whatsapp", "Gracias")
        assert result.reply
        state = await second.graph.aget_state(
            {"configurable": {"thread_id": str(call_customer.id)}}
        )
        assert [str(m.content) for m in state.values["messages"] if m.type == "human"][-2:] == [
            "Hola, soy Ana",
            "Gracias",
        ]
    finally:
        await pool.close()


async def test_chat_uses_the_configured_openai_compatible_endpoint(db_url, tmp_path, memory):
    with FakeOpenAI(lambda body: text("Hola, soy el modelo configurado.")) as fake:
        endpoint = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.base_url}
        done = hilo_chat(db_url, str(tmp_path), "+573001112277", "-m", "Hola", llm=endpoint)
    assert done.returncode == 0, done.stderr
    assert "Hola, soy el modelo configurado." in done.stdout
    assert fake.requests and fake.requests[0]["messages"][-1]["content"] == "Hola"
