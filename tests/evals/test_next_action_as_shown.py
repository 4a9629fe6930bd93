"""The eval's next_action check reads an action as the dashboard shows it."""

from __future__ import annotations

from datetime import UTC, datetime

from evals.checks import operator_text


def test_a_next_action_reads_with_its_due_time_in_the_business_zone_and_language() -> None:
    due = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # 18:00 in Bogotá
    spanish = operator_text("Llamar al cliente", due, "America/Bogota", "es")
    assert "2026-12-07 18:00" in spanish and "lunes 7 de diciembre" in spanish
    english = operator_text("Call the customer", due, "America/Bogota", "en")
    assert "Monday December 7 at 18:00" in english
    assert operator_text("Enviar la propuesta", None, "America/Bogota", "es") == (
        "Enviar la propuesta"
    )


def test_a_window_reads_as_the_window_not_the_clock_time_stored_for_it() -> None:
    due = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # 10:00 in Bogotá, for "en la mañana"
    shown = operator_text("Llamar el martes 8 en la mañana", due, "America/Bogota", "es", "morning")
    assert "2026-12-08 en la mañana" in shown and "el martes 8 de diciembre en la mañana" in shown
    assert "10:00" not in shown
