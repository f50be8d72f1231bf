from weather.report import report


def test_report_sorts_cities():
    assert report({"Oslo": 1.0, "Berlin": 4.5}).splitlines()[2] == "- Berlin: 4.5 °C"
