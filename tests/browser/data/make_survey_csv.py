"""Writes build_back_better_mks.csv: the responses of "Build Back Better in Milton Keynes South",
shaped as Google Forms' responses sheet downloads them (File > Download > CSV on a UK-locale
sheet): a Timestamp column first, day-first with seconds, no respondent id, CRLF line ends and
the empty row the sheet had below its last response.

1,210 fictional respondents; 472 of them (39%, 95% CI 36–42%) chose "Tackling crime and
anti-social behaviour", as in the reference story. Seeded, so the file never changes:
    .venv/bin/python tests/browser/data/make_survey_csv.py
"""

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

PRIORITY = "Which one thing should be the priority for Milton Keynes South as we build back better?"
ANSWERS = {
    "Tackling crime and anti-social behaviour": 472,
    "Improving roads and public transport": 261,
    "More affordable homes": 214,
    "Better access to GPs and hospitals": 158,
    "Supporting local shops and businesses": 105,
}
# Postcodes of Milton Keynes South wards from casework/demo_data/mk_postcodes.csv.
POSTCODES = [
    "MK2 2BY", "MK2 2NP", "MK2 3AH", "MK3 6EB", "MK3 6DS", "MK3 7AX", "MK3 5JW", "MK3 5LF", "MK3 5QH",
    "MK9 3HQ", "MK9 2FS", "MK9 1EN", "MK7 7HR", "MK17 8BU", "MK7 7PB", "MK5 8AQ", "MK5 8DG", "MK5 8FJ",
    "MK5 7AW", "MK5 6HE", "MK5 7LY", "MK4 3GN", "MK4 4DA", "MK4 3BS", "MK6 2LP", "MK6 3BX", "MK6 2TR",
]  # fmt: skip


def main() -> None:
    rng = random.Random(2021)
    answers = [answer for answer, count in ANSWERS.items() for _ in range(count)]
    rng.shuffle(answers)
    path = Path(__file__).with_name("build_back_better_mks.csv")
    wishes = ["More police on foot", "Fix the potholes", "Cheaper bus fares", "Later GP appointments", "More homes"]
    places = ["Bletchley", "Fishermead", "Oldbrook", "Tattenhoe", "Woughton", "Denbigh", "Kingsmead", "Shenley"]
    times = ["in the evenings", "at weekends", "this year", "before winter", "near the station", "for families"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["Timestamp", PRIORITY, "What is your postcode?", "Anything else you would like to tell us?"])
        for answer in answers:
            submitted = datetime(2021, 3, 1, 7) + timedelta(seconds=rng.randrange(42 * 24 * 3600))
            comment = f"{rng.choice(wishes)} in {rng.choice(places)} {rng.choice(times)}" if rng.random() < 0.08 else ""
            writer.writerow([submitted.strftime("%d/%m/%Y %H:%M:%S"), answer, rng.choice(POSTCODES), comment])
        writer.writerow(["", "", "", ""])


if __name__ == "__main__":
    main()
