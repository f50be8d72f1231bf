"""Writes the daily report."""


def report(readings):
    lines = ["# Daily temperatures", ""]
    for city, celsius in sorted(readings.items()):
        lines.append(f"- {city}: {celsius:.1f} °C")
    return "\n".join(lines) + "\n"
