"""Fetches current temperatures for cities."""
import json
import time
import urllib.request

API = "https://weather.example.com/v1/current?city={city}"


def fetch(city, attempts=3):
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(API.format(city=city), timeout=10) as response:
                return json.load(response)["temperature_c"]
        except OSError:
            if attempt == attempts:
                raise
            time.sleep(2 ** attempt)
