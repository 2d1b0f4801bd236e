"""Generate migdash's bundled sample data: a fictional programme of 24 municipalities, 2015-2024.

Run from the project root:  .venv/bin/python sample_data/generate.py

Everything is invented: five countries with user-assigned ISO 3166 codes (XAA ... XEE, which no
real country can have), their regions, municipalities and figures. Each municipality follows a
*profile*, one trend letter per thematic area (T on track, M moderately improving, S stagnating,
D deteriorating, A already there), and a starting level (L low, M middle, H high), so that the
dashboard shows a realistic spread of statuses and trends (see README.md for the stories).

How the figures are made: for each municipality a smooth "truth" is simulated for every year in
indicator space (a rate, a distance from parity, a yes/no switch, a maturity level ...) along the
profile's trend with a little noise; the raw fields of a return are derived from it (part = whole
x share), so that no part exceeds its whole and every indicator stays within its bounds.
Returns are then written the way offices send them, into returns/ (loaded in file-name order):

- most as the return template (data_ingest.template.write_template) in the country's language,
  some with breakdowns by sex, some with blanks and markers (.., c, z) in optional fields;
- a national statistics extract covering every municipality of XAA for 2022 (a wide table naming
  municipalities and provinces, with a title and notes, numbers stored as text);
- one legacy .xls (written with xlwt, a dev-only tool: pip install xlwt), one CSV (';', cp1252,
  decimal commas), and two revisions that correct a return sent earlier.

returns-with-problems/ holds small files that show the validation report at work (not loaded).
The output is deterministic (numpy default_rng(2030)) except openpyxl's "modified" timestamps.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from openpyxl import Workbook

from data_ingest import template
from data_ingest.catalog import load_catalog, normalize_header

HERE = Path(__file__).resolve().parent
CATALOG = load_catalog(HERE.parent / "indicator_catalog.yaml")
ALIASES = CATALOG.alias_index()
RETURNS, PROBLEMS = HERE / "returns", HERE / "returns-with-problems"
YEARS = list(range(2015, 2025))
T = np.arange(len(YEARS))
rng = np.random.default_rng(2030)

COUNTRIES = {
    "XAA": ("República de Montalvia", "es"),
    "XBB": ("République de Vaucelande", "fr"),
    "XCC": ("Republic of Carrowmere", "en"),
    "XDD": ("República de Alcaravel", "es"),
    "XEE": ("République de Kanzéra", "fr"),
}
REGIONS = {
    "ACE": "Alto Cereza",
    "LPU": "Llanos de Pumarrosa",
    "CAL": "Costa Albarina",
    "HSO": "Haut-Sorbier",
    "DRV": "Deux-Rives",
    "CAM": "Côte Ambrée",
    "EMR": "Eastmoor Parish",
    "SBK": "Saltbeck Parish",
    "GRW": "Greywater Parish",
    "YUR": "Yurumí",
    "CAN": "Cañaflor",
    "DIO": "Dioumbé",
    "FRO": "Falaises Rouges",
}
# Migration setting: foreign-born % in 2015 and its yearly change (points), emigrants per 100
# residents, remittances USD per resident, refugees and IDPs per 100,000, population growth per
# year, monthly pay abroad in local currency (None: no labour emigration, recruitment costs "z").
SETTING = {
    "XAA": ((2.5, 5), (0.3, 0.6), (4, 9), (60, 150), (200, 600), (40, 250), 0.012, 1400),
    "XBB": ((3.5, 6), (0.05, 0.2), (2, 5), (20, 60), (150, 500), (0, 0), 0.004, None),
    "XCC": ((2.5, 4.5), (0.0, 0.12), (15, 30), (300, 650), (40, 120), (20, 120), -0.002, 2200),
    "XDD": ((2.5, 4), (0.1, 0.3), (10, 22), (250, 550), (60, 250), (100, 500), 0.008, 1600),
    "XEE": ((2.5, 4.5), (0.05, 0.2), (8, 18), (150, 400), (100, 400), (100, 500), 0.022, 3000),
}
AREAS = ["governance", "work", "education", "health", "remittances", "rights", "displacement", "digital"]
MUNICIPALITIES = [  # code, name, region, population 2015, start level, profile, first year, other spellings
    ("XAA-001", "San Eulogio", "ACE", 132_000, "M", "TTTTTTTT", 2015, ""),
    ("XAA-002", "San Eulogio", "LPU", 28_400, "L", "SSMSSSSS", 2015, "San Eulogio del Llano"),
    ("XAA-003", "Villa Carmesí", "ACE", 268_000, "M", "MDMMTMMM", 2015, "V. Carmesí"),
    ("XAA-004", "Puerto Albarino", "CAL", 256_000, "H", "TDDDSDDS", 2015, "Pto. Albarino;Puerto Albariño"),
    ("XAA-005", "Pumarrosa del Llano", "LPU", 88_000, "L", "MMMMMMMM", 2016, ""),
    ("XAA-006", "Santa Rufina de la Costa", "CAL", 34_000, "H", "ASSSASAS", 2015, "Santa Rufina"),
    ("XBB-001", "Montbrisac", "HSO", 274_000, "H", "TTTATTTT", 2015, ""),
    ("XBB-002", "Sainte-Aurélie-sur-Lisse", "DRV", 104_000, "M", "MMTMMMMM", 2015, "Ste-Aurélie;Ste Aurelie"),
    ("XBB-003", "Port-Ambré", "CAM", 176_000, "M", "DDDDSDMD", 2015, ""),
    ("XBB-004", "Villeneuve-des-Sorbiers", "HSO", 27_000, "L", "SSSSSSSS", 2016, ""),
    ("XBB-005", "Belcombe-les-Eaux", "DRV", 41_000, "M", "MSTDMSMT", 2017, ""),
    ("XCC-001", "Port Halloway", "SBK", 268_000, "M", "TTTTTTMT", 2015, ""),
    ("XCC-002", "Kettlebrook", "EMR", 147_000, "M", "MSMMTMMM", 2015, ""),
    ("XCC-003", "Hollin Ridge", "GRW", 26_100, "L", "SDSSDSSS", 2015, ""),
    ("XCC-004", "St. Aldric's Town", "EMR", 72_000, "M", "SSSMSSMS", 2016, "St Aldrics Town;Saint Aldric"),
    ("XCC-005", "Marlowe Bay", "SBK", 45_500, "M", "MMMMTDSM", 2015, ""),
    ("XDD-001", "Ciudad Yurumí", "YUR", 262_000, "M", "MMMMMMMM", 2015, "Yurumí"),
    ("XDD-002", "San Telmo de Arriba", "YUR", 24_300, "L", "SMDDMSDS", 2016, "San Telmo"),
    ("XDD-003", "Cañaflor", "CAN", 118_000, "M", "TTTTTMTT", 2015, "Villa de Cañaflor"),
    ("XDD-004", "Puerto Tucán", "CAN", 58_000, "L", "SSMSSSSD", 2017, ""),
    ("XEE-001", "Dioumbé-Ville", "DIO", 263_000, "M", "TDMMMMMT", 2015, "Dioumbe"),
    ("XEE-002", "Koursaba", "DIO", 96_000, "L", "MMMMTMMM", 2015, ""),
    ("XEE-003", "Ndiamar", "FRO", 29_000, "L", "DSDSSDSS", 2016, "N'Diamar"),
    ("XEE-004", "Tafourou-les-Falaises", "FRO", 38_000, "L", "TTTTTTTT", 2020, "Tafourou"),
]
INACTIVE_AFTER = {"XCC-003": 2020}  # left the programme
DISASTERS = {"XCC-005": 2019, "XDD-002": 2021, "XAA-004": 2017}  # a storm, a landslide, a flood
# Series in indicator space: area, kind, a bad but realistic value, the 2030 target, yearly noise,
# the range it stays in. "gap" is a distance from parity (1 - migrants/host, or points apart).
DRIVERS = {
    "ldp": ("governance", "yes"),
    "coord": ("governance", "level"),
    "budget": ("governance", "yes"),
    "particip": ("governance", "level"),
    "mgi": ("governance", "mgi"),
    "desk": ("governance", "yes"),
    "datasets": ("governance", "up", 10, 100, 3, (1, 100)),
    "emp_gap": ("work", "gap", 0.35, 0, 0.012, (-0.1, 0.7)),
    "unemp_gap": ("work", "gap", 12, 0, 0.5, (-3, 30)),
    "placed": ("work", "up", 8, 50, 2, (2, 90)),
    "injury": ("work", "down", 2.3, 1.0, 0.05, (0.6, 4)),
    "recruit": ("work", "down", 4.5, 0, 0.12, (0.1, 8)),
    "enrol_gap": ("education", "gap", 0.25, 0, 0.008, (-0.02, 0.6)),
    "blind": ("education", "yes"),
    "neet_gap": ("education", "gap", 16, 0, 0.7, (-3, 40)),
    "recog": ("education", "up", 30, 90, 2.5, (5, 100)),
    "early": ("education", "down", 38, 10, 1.2, (3, 60)),
    "cov_gap": ("health", "gap", 0.4, 0, 0.01, (-0.03, 0.8)),
    "sp_gap": ("health", "gap", 0.5, 0, 0.012, (-0.03, 0.8)),
    "birthreg": ("health", "up", 72, 100, 0.8, (40, 100)),
    "unmet_gap": ("health", "gap", 14, 0, 0.6, (-2, 40)),
    "firewall": ("health", "yes"),
    "diaspora": ("remittances", "level"),
    "cost": ("remittances", "down", 9.5, 3, 0.2, (1.5, 15)),
    "account": ("remittances", "up", 25, 100, 1.5, (5, 99.6)),
    "to_account": ("remittances", "up", 5, 50, 1.5, (1, 90)),
    "projects": ("remittances", "count", 0, 5, 0.35, (0, 12)),
    "discrim": ("rights", "down", 42, 10, 1.5, (3, 70)),
    "complaint": ("rights", "yes"),
    "assisted": ("rights", "up", 40, 100, 3, (10, 100)),
    "women_ratio": ("rights", "up", 0.6, 1.0, 0.02, (0.4, 1.25)),
    "long_term": ("rights", "up", 12, 60, 1.2, (3, 90)),
    "drr": ("displacement", "yes"),
    "drr_mobility": ("displacement", "level"),
    "disp_assisted": ("displacement", "up", 40, 100, 2, (10, 100)),
    "documented": ("displacement", "up", 40, 100, 2, (10, 100)),
    "internet_gap": ("digital", "gap", 0.35, 0, 0.01, (-0.03, 0.7)),
    "portal": ("digital", "yes"),
    "mobile": ("digital", "up", 55, 100, 1.2, (20, 99.6)),
    "online": ("digital", "up", 0, 100, 2, (0, 100)),
}
R_RANGE = {"T": (1.1, 1.6), "M": (0.55, 0.9), "S": (-0.1, 0.4), "D": (-1.2, -0.5), "A": (0.2, 0.8)}
JITTER = {"T": "TTTM", "M": "MMTS", "S": "SSMD", "D": "DDDS", "A": "AAAT"}  # 1 series in 4 strays a little
START = {"L": (0.1, 0.4), "M": (0.35, 0.65), "H": (0.6, 0.85)}
# Optional fields, in groups that a municipality reports from some year on, or never.
OPTIONAL = {
    "context": ["returnees_year", "emigrants_abroad"],
    "hate": ["hate_incidents_migrants"],
    "jobs": ["migrants_registered_job_services", "migrants_placed_in_work"],
    "injuries": ["migrant_occupational_injuries", "host_occupational_injuries"],
    "recruit": ["recruitment_costs_paid", "monthly_earnings_abroad"],
    "youth": ["migrant_youth_15_24", "host_youth_15_24", "migrant_youth_neet", "host_youth_neet"],
    "recog": ["qualification_recognition_requests", "qualification_recognition_granted"],
    "early": ["migrant_youth_18_24", "migrant_early_leavers"],
    "births": ["children_u5_migrant_parents", "children_u5_migrant_parents_registered"],
    "unmet": ["migrants_unmet_medical_need_pct", "host_unmet_medical_need_pct"],
    "remit": ["remittances_received_usd", "remittances_to_account_usd"],
    "survey": [
        "adults_with_account_pct",
        "migrants_discrimination_pct",
        "migrants_internet_pct",
        "host_internet_pct",
        "migrants_mobile_phone_pct",
    ],
    "displaced": ["displaced_registered", "displaced_assisted", "displaced_documented"],
    "flows": ["disaster_displacements"],
}


@dataclass
class Muni:
    code: str
    name: str
    region: str
    pop0: int
    start: str
    profile: str
    first: int
    other: str
    s: dict = field(default_factory=dict)  # simulated series, one value per year of YEARS
    groups: dict = field(default_factory=dict)  # optional group -> first year reported (None: never)
    sex_from: int | None = None  # first year with breakdowns by sex

    @property
    def country(self) -> str:
        return self.code[:3]

    @property
    def lang(self) -> str:
        return COUNTRIES[self.country][1]

    @property
    def band(self) -> str:
        return "<50k" if self.pop0 < 50_000 else ">250k" if self.pop0 > 250_000 else "50k-250k"


def u(a: float, b: float):
    return rng.uniform(a, b)


def trajectory(bad: float, target: float, noise: float, limits: tuple, letter: str, start: str) -> np.ndarray:
    """From a 2015 value towards the target (or away from it) at the profile's pace, with noise."""
    v0 = bad + u(*(0.88, 1.0) if letter == "A" else START[start]) * (target - bad)
    pace = (target - v0) if letter in "TMA" else 0.5 * (target - bad)
    return np.clip(v0 + u(*R_RANGE[letter]) * pace / 15 * T + rng.normal(0, noise, len(T)), *limits)


def switch(letter: str, late: bool = False) -> np.ndarray:
    """Yes/no: switched on early (T) or late (M), never (S), on then off (D), always (A)."""
    if letter in "AS":
        return np.full(len(T), int(letter == "A"))
    if letter == "D":
        return (T < (5 if late else rng.integers(3, 8))).astype(int)
    return (T >= (rng.integers(1, 5) if letter == "T" else rng.integers(4, 9))).astype(int)


def levels(letter: str, start: str) -> np.ndarray:
    """Maturity 0-3: stepping up (T fast, M slowly), flat (S), stepping down (D), at 3 (A)."""
    base = "LMH".index(start)
    if letter == "A":
        return np.where(T < 2, 2, 3)
    if letter in "TM":
        return np.minimum(
            base + T // (rng.integers(2, 4) if letter == "T" else rng.integers(4, 6)),
            3 if letter == "T" else max(base, 2),
        )
    if letter == "S":
        return np.full(len(T), max(base, 1))
    return np.maximum(min(max(base, 2) + 1, 3) - (T >= rng.integers(3, 6)) - (T >= rng.integers(6, 10)), 0)


def simulate(m: Muni) -> None:
    """Fill m.s with every series the returns need, 2015-2024."""
    fb, fb_step, emig, remit, ref, idp, growth, pay = SETTING[m.country]
    for name, (area, kind, *spec) in DRIVERS.items():
        letter = rng.choice(list(JITTER[m.profile[AREAS.index(area)]]))
        if kind in ("yes", "mgi"):  # a local MGI assessment is valid five years: "on then off" comes late
            m.s[name] = switch(letter, late=kind == "mgi")
        elif kind == "level":
            m.s[name] = levels(letter, m.start)
        else:
            m.s[name] = trajectory(*spec, letter, m.start)
    m.s["projects"] = np.round(m.s["projects"])
    # Context and denominators grow smoothly.
    m.s["pop"] = m.pop0 * (1 + growth + u(-0.004, 0.004)) ** T * (1 + rng.normal(0, 0.001, len(T)))
    step = u(*fb_step) * (1.5 if m.code == "XAA-004" else 1)  # Puerto Albarino: fast-growing arrivals
    m.s["fb_share"] = u(*fb) + step * T + rng.normal(0, 0.05, len(T))
    m.s["returnees"] = u(0.5, 4) * (1 + 0.04 * T) * (1 + rng.normal(0, 0.06, len(T)))  # per 1,000
    m.s["emig"] = u(*emig) + 0.15 * T  # per 100
    m.s["remit_pc"] = u(*remit) * 1.045**T * (1 + rng.normal(0, 0.03, len(T)))
    m.s["ref"] = u(*ref) * (1 + u(0, 0.08)) ** T  # per 100,000
    m.s["idp"] = u(*idp) * (1 + u(-0.05, 0.05)) ** T
    m.s["pay"] = pay * 1.025**T if pay else None
    pace = {"T": -0.09, "M": -0.05, "S": 0.0, "D": 0.06, "A": -0.02}[m.profile[AREAS.index("displacement")]]
    base = u(*{"H": (150, 700), "M": (700, 2000), "L": (1800, 4000)}[m.start])
    m.s["affected"] = base * np.exp(pace * T + rng.normal(0, 0.12, len(T)))  # per 100,000
    if m.code in DISASTERS:
        m.s["affected"][DISASTERS[m.code] - 2015] *= 2.6
    # The host population's own rates: start, slope per year, noise.
    walk = {
        "her": (u(57, 72), u(-0.3, 0.4), 0.4),
        "hu": (u(4, 11), u(-0.25, 0.15), 0.25),
        "henr": (u(93, 98.5), 0.1, 0.2),
        "hneet": (u(9, 20), -0.2, 0.4),
        "hcov": (u(78, 95), 0.4, 0.3),
        "hsp": (u(35, 80), 0.5, 0.5),
        "hunmet": (u(2.5, 9), -0.1, 0.3),
        "hnet": (u(48, 75), 2.2, 0.8),
    }
    for name, (start, slope, sd) in walk.items():
        m.s[name] = start + slope * T + rng.normal(0, sd, len(T))
    m.s.update(
        fbw=u(0.44, 0.54),
        jobsvc=u(0.02, 0.05),
        inj_rate=u(6, 14),
        ben=u(0.02, 0.05) * (1 + 0.06 * T),
        datasets_core=int(rng.integers(12, 30)),
    )
    m.s["services"] = rng.integers(10, 25) + (T >= rng.integers(3, 9))  # one more procedure some year
    cases = lambda x: np.round(x * (1 + rng.normal(0, 0.1, len(T)))).astype(int)  # noqa: E731
    m.s["trafficked"] = cases(m.s["pop"] * u(2, 12) / 1e5)
    m.s["hate_n"] = cases(m.s["pop"] * m.s["fb_share"] / 100 * u(10, 80) / 1e5)
    never = {"L": 0.45, "M": 0.25, "H": 0.1}[m.start]
    m.groups = {g: None if rng.random() < never else m.first + int(rng.integers(0, 6)) for g in OPTIONAL}
    m.groups["recruit"] = m.groups["recruit"] if pay else m.first  # "z": not applicable
    m.sex_from = None if rng.random() < 0.4 else m.first + int(rng.integers(0, 7))


def truth(m: Muni, y: int) -> tuple[dict, dict]:
    """Every raw field (totals), and the breakdowns by sex, of one municipality and year."""
    g = {k: (v[y - 2015] if isinstance(v, np.ndarray) else v) for k, v in m.s.items()}
    pct = lambda x: round(float(np.clip(x, 0.1, 99.9)), 1)  # noqa: E731
    share = lambda whole, rate: int(round(whole * min(rate, 100) / 100))  # noqa: E731
    pop = int(round(g["pop"]))
    fb = share(pop, g["fb_share"])
    host, fbw = pop - fb, round(fb * g["fbw"])
    mwa, hwa, her, hu = round(fb * 0.72), round(host * 0.64), g["her"], max(g["hu"], 2)
    mer = min(her * (1 - g["emp_gap"]), 92)
    memp, hemp = share(mwa, mer), share(hwa, her)
    mlf = round(memp / (1 - float(np.clip(hu + g["unemp_gap"], 1, 45)) / 100))
    hlf = round(hemp / (1 - hu / 100))
    mkids, hkids, henr = round(fb * 0.15), round(host * 0.17), min(g["henr"], 99.5)
    menr = share(mkids, min(henr * (1 - g["enrol_gap"]), 99.8))
    myouth, hyouth, hneet = round(fb * 0.16), round(host * 0.15), max(g["hneet"], 4)
    requests, my1824, u5 = round(fb * 0.006) + 1, round(fb * 0.09), round(fb * 0.065)
    jobs = round(fb * g["jobsvc"])
    hcov, hsp, hnet = min(g["hcov"], 99), min(g["hsp"], 95), min(g["hnet"], 97)
    ref, idp = round(pop * g["ref"] / 1e5), round(pop * g["idp"] / 1e5)
    received, ben = round(pop * g["remit_pc"], -3), round(fb * g["ben"])
    permits, displaced = round(fb * 0.62), round((ref + idp) * 0.7)
    affected = round(pop * g["affected"] / 1e5)
    v = {
        "population_total": pop,
        "foreign_born_population": fb,
        "foreign_born_women": fbw,
        "returnees_year": round(pop * g["returnees"] / 1000),
        "emigrants_abroad": round(pop * g["emig"] / 100, -2),
        "refugees_asylum_seekers_hosted": ref,
        "idps_hosted": idp,
        "ldp_includes_migration": g["ldp"],
        "coordination_mechanism_level": g["coord"],
        "migration_budget_line": g["budget"],
        "migrant_participation_level": g["particip"],
        "datasets_core_total": g["datasets_core"],
        "datasets_disaggregated_migratory": share(g["datasets_core"], g["datasets"]),
        "local_mgi_last_5y": g["mgi"],
        "migrant_service_point": g["desk"],
        "migrants_working_age": mwa,
        "host_working_age": hwa,
        "migrants_employed": memp,
        "host_employed": hemp,
        "migrants_labour_force": mlf,
        "host_labour_force": hlf,
        "migrants_unemployed": mlf - memp,
        "host_unemployed": hlf - hemp,
        "migrants_registered_job_services": jobs,
        "migrants_placed_in_work": share(jobs, g["placed"]),
        "migrant_occupational_injuries": round(memp * g["inj_rate"] * g["injury"] / 1000),
        "host_occupational_injuries": round(hemp * g["inj_rate"] / 1000),
        "recruitment_costs_paid": int(round(g["pay"] * g["recruit"], -1)) if g["pay"] else "z",
        "monthly_earnings_abroad": int(round(g["pay"], -1)) if g["pay"] else "z",
        "migrant_children_school_age": mkids,
        "host_children_school_age": hkids,
        "migrant_children_enrolled": menr,
        "host_children_enrolled": share(hkids, henr),
        "school_enrolment_status_blind": g["blind"],
        "migrant_youth_15_24": myouth,
        "host_youth_15_24": hyouth,
        "migrant_youth_neet": share(myouth, float(np.clip(hneet + g["neet_gap"], 2, 60))),
        "host_youth_neet": share(hyouth, hneet),
        "qualification_recognition_requests": requests,
        "qualification_recognition_granted": share(requests, g["recog"]),
        "migrant_youth_18_24": my1824,
        "migrant_early_leavers": share(my1824, g["early"]),
        "migrants_health_covered": share(fb, min(hcov * (1 - g["cov_gap"]), 99.5)),
        "host_health_covered": share(host, hcov),
        "migrants_social_protection": share(fb, min(hsp * (1 - g["sp_gap"]), 99)),
        "host_social_protection": share(host, hsp),
        "children_u5_migrant_parents": u5,
        "children_u5_migrant_parents_registered": share(u5, g["birthreg"]),
        "migrants_unmet_medical_need_pct": pct(g["hunmet"] + g["unmet_gap"]),
        "host_unmet_medical_need_pct": pct(g["hunmet"]),
        "service_firewall": g["firewall"],
        "remittance_cost_pct": pct(g["cost"]),
        "remittances_received_usd": int(received),
        "remittances_to_account_usd": int(round(received * g["to_account"] / 100, -3)),
        "adults_with_account_pct": pct(g["account"]),
        "diaspora_cofinanced_projects": int(g["projects"]),
        "diaspora_engagement_level": g["diaspora"],
        "migrants_discrimination_pct": pct(g["discrim"]),
        "discrimination_complaint_mechanism": g["complaint"],
        "trafficking_victims_identified": g["trafficked"],
        "trafficking_victims_assisted": share(g["trafficked"], g["assisted"]),
        "programme_beneficiaries_total": ben,
        "programme_beneficiaries_women": min(ben, round(ben * g["women_ratio"] * g["fbw"])),
        "foreign_residents_registered": permits,
        "foreign_residents_long_term": share(permits, g["long_term"]),
        "hate_incidents_migrants": g["hate_n"],
        "local_drr_strategy": g["drr"],
        "drr_mobility_level": g["drr_mobility"],
        "displaced_registered": displaced,
        "displaced_assisted": share(displaced, g["disp_assisted"]),
        "displaced_documented": share(ref + idp, g["documented"]),
        "disaster_affected_persons": affected,
        "disaster_displacements": round(affected * 0.15),
        "migrants_internet_pct": pct(hnet * (1 - g["internet_gap"])),
        "host_internet_pct": pct(hnet),
        "migrants_mobile_phone_pct": pct(g["mobile"]),
        "municipal_services_migrant_relevant": int(g["services"]),
        "municipal_services_online": share(g["services"], g["online"]),
    }
    v = {k: int(x) if isinstance(x, np.integer) else x for k, x in v.items()}
    # Breakdowns by sex: women's figure first, men = total - women, each within its own whole.
    mwa_w, hwa_w, kids_w = round(mwa * g["fbw"]), round(hwa * 0.505), round(mkids * 0.49)
    women = {
        "population_total": round(pop * 0.51),
        "foreign_born_population": fbw,
        "migrants_working_age": mwa_w,
        "host_working_age": hwa_w,
        "migrant_children_school_age": kids_w,
        "migrants_employed": int(np.clip(share(mwa_w, mer * 0.85), memp - (mwa - mwa_w), mwa_w)),
        "host_employed": int(np.clip(share(hwa_w, her * 0.88), hemp - (hwa - hwa_w), hwa_w)),
        "migrant_children_enrolled": int(np.clip(round(menr * 0.49), menr - (mkids - kids_w), kids_w)),
        "programme_beneficiaries_total": v["programme_beneficiaries_women"],
    }
    parts = {(f, "women"): w for f, w in women.items()} | {(f, "men"): v[f] - w for f, w in women.items()}
    return v, parts


def submitted(m: Muni, y: int) -> tuple[dict, dict]:
    """What the municipality sent: optional groups it does not collect are blank, a few cells hold
    markers, breakdowns by sex only once it has them."""
    v, parts = truth(m, y)
    for fields in (fs for group, fs in OPTIONAL.items() if m.groups[group] is None or y < m.groups[group]):
        v.update(dict.fromkeys(fields))
    for f in (f for fs in OPTIONAL.values() for f in fs if v[f] is not None):
        v[f] = ".." if rng.random() < 0.04 else v[f]
    if v["trafficking_victims_identified"] < 3 and m.band == "<50k" and rng.random() < 0.5:
        v["trafficking_victims_identified"] = v["trafficking_victims_assisted"] = "c"  # protects the victims
    return v, (parts if m.sex_from is not None and y >= m.sex_from else {})


# --- writers ---------------------------------------------------------------------------------------


def alias(f: str, lang: str, k: int = 0) -> str:
    """The k-th header name of a raw field in a language, one that the upload reader maps back to it."""
    names = [a for a in getattr(CATALOG.raw_fields[f].aliases, lang) if ALIASES.get(normalize_header(a)) == f]
    return names[min(k, len(names) - 1)]


def write_return(m: Muni, y: int, v: dict, parts: dict, path: Path) -> None:
    """Fill the real template, found by the codes of its hidden column A and hidden row 6."""
    wb = template.write_template(
        CATALOG, municipality_code=m.code, municipality_name=m.name, year=y, lang=m.lang
    )
    ws = wb[template.DATA_SHEET]
    columns = {
        ws.cell(template.DISAGGREGATION_CODE_ROW, c).value: c
        for c in range(template.TOTAL_COLUMN, ws.max_column + 1)
    }
    rows = {ws.cell(r, template.CODE_COLUMN).value: r for r in range(template.FIRST_DATA_ROW, ws.max_row + 1)}
    for f, value in v.items():
        if CATALOG.raw_fields[f].type == "yes-no" and value in (0, 1):
            value = template.YES_NO_WORDS[m.lang][1 - value]
        ws.cell(rows[f], columns["total"], value)
    for (f, d), value in parts.items():
        ws.cell(rows[f], columns[d], value)
    wb.save(path)


def save_sheet(path: Path, rows: list[list], name: str = "Sheet1", before: tuple = ()) -> None:
    """A plain workbook: the (name, rows) sheets of ``before``, then the table on its own sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, lines in (*before, (name, rows)):  # noqa: B020
        ws = wb.create_sheet(name)
        for line in lines:
            ws.append(line)
        ws.column_dimensions["A"].width = ws.column_dimensions["B"].width = 22
    wb.save(path)


def es_text(value, f: str):
    """A figure as a Spanish-speaking statistics office exports it: text, with '.' for thousands."""
    if value is None or isinstance(value, str):
        return value
    if CATALOG.raw_fields[f].type == "percent":
        return f"{value:.1f}".replace(".", ",")
    return f"{int(value):,}".replace(",", ".")


def national_extract(munis: list[Muni], year: int, path: Path) -> None:
    """Every municipality of one country in one wide table, as a statistics office publishes it."""
    fields = [
        "foreign_born_population",
        "foreign_born_women",
        "migrants_working_age",
        "host_working_age",
        "migrants_employed",
        "host_employed",
        "migrants_labour_force",
        "migrants_unemployed",
        "host_labour_force",
        "host_unemployed",
        "migrant_children_school_age",
        "migrant_children_enrolled",
        "host_children_school_age",
        "host_children_enrolled",
        "migrants_health_covered",
        "host_health_covered",
        "migrants_social_protection",
        "host_social_protection",
        "remittances_received_usd",
        "adults_with_account_pct",
        "migrants_internet_pct",
        "host_internet_pct",
    ]
    kinds = ["population_total"] * 3 + fields  # total population, women, men, then one column per field
    header = [
        "Provincia",
        "Municipio",
        alias("population_total", "es", 1) + "1",
        "Población - Mujeres",
        "Población - Hombres",
        alias(fields[0], "es") + "2",
        *[alias(f, "es") for f in fields[1:]],
    ]
    table = []
    for m in munis:
        v, parts = truth(m, year)
        if m.band == "<50k":  # too few cases in the survey sample
            v["migrants_social_protection"], v["migrants_internet_pct"] = "c", ".."
        name = m.other.split(";")[0] if m.other and m.code != "XAA-002" else m.name  # the office's spelling
        table.append(
            [
                REGIONS[m.region],
                name,
                v["population_total"],
                parts[("population_total", "women")],
                parts[("population_total", "men")],
                *[v[f] for f in fields],
            ]
        )
    totals = [
        sum(x for x in column if isinstance(x, int)) if CATALOG.raw_fields[k].type == "count" else None
        for column, k in zip(list(zip(*table, strict=True))[2:], kinds, strict=True)
    ]
    title = f"Instituto Nacional de Estadística de Montalvia — indicadores municipales de migración, {year}"
    as_text = [[*t[:2], *[es_text(x, k) for x, k in zip(t[2:], kinds, strict=True)]] for t in table]
    rows = [
        [title],
        [],
        header,
        *as_text,
        ["", "Total nacional", *[es_text(x, k) for x, k in zip(totals, kinds, strict=True)]],
        [],
        [
            "1 Proyección al 1 de enero. 2 Según el lugar de nacimiento. '..' dato no disponible; 'c' "
            "dato confidencial (menos de 30 casos en la muestra). Fuente: Encuesta Nacional de Hogares y "
            "registros administrativos. Datos ficticios de ejemplo."
        ],
    ]
    notes = ("Notas", [["Cuadro 3: indicadores municipales de migración."]])
    save_sheet(path, rows, "Cuadro 3", before=(notes,))


def wide_table(m: Muni, y: int, v: dict, lang: str, fmt=lambda x: x) -> list[list]:
    """One municipality and year as a wide table: identification, then one column per figure given."""
    ids = {"en": ["Municipality code", "Municipality", "Year"], "fr": ["Code commune", "Commune", "Année"]}[
        lang
    ]
    words = {"en": ("Yes", "No"), "fr": ("oui", "non")}[lang]
    given = [f for f in v if v[f] is not None]
    values = [
        words[1 - v[f]] if CATALOG.raw_fields[f].type == "yes-no" and v[f] in (0, 1) else fmt(v[f])
        for f in given
    ]
    return [ids + [alias(f, lang) for f in given], [m.code, m.name, y, *values]]


def legacy_xls(m: Muni, y: int, v: dict, path: Path) -> None:
    try:
        import xlwt  # a dev-only tool; without it the committed .xls is kept as it is
    except ImportError:
        print(f"xlwt is not installed: kept {path.name} as it is (pip install xlwt to rewrite it)")
        return
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(f"Return {y}")
    title = f"{m.name} Town Council - figures for the annual migration return {y}"
    lines = [[title], [], *wide_table(m, y, v, "en")]
    for r, line in enumerate(lines):
        for c, x in enumerate(line):
            sheet.write(r, c, x)
    book.save(str(path))


def french_csv(m: Muni, y: int, v: dict, path: Path) -> None:
    """A wide one-row CSV as a small French-speaking office exports it: ';', cp1252, decimal commas."""

    def fmt(x):
        return f"{x:.1f}".replace(".", ",") if isinstance(x, float) else {"..": "n.d.", "z": "s.o."}.get(x, x)

    with path.open("w", encoding="cp1252", newline="") as out:
        csv.writer(out, delimiter=";").writerows(wide_table(m, y, v, "fr", fmt))


def write_register(munis: list[Muni]) -> None:
    with (HERE / "municipalities.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "country_code",
                "country_name",
                "region_code",
                "region_name",
                "municipality_code",
                "municipality_name",
                "population_band",
                "other_names",
                "active",
            ]
        )
        for m in munis:
            writer.writerow(
                [
                    m.country,
                    COUNTRIES[m.country][0],
                    m.region,
                    REGIONS[m.region],
                    m.code,
                    m.name,
                    m.band,
                    m.other,
                    "no" if m.code in INACTIVE_AFTER else "yes",
                ]
            )


def problem_files(by_code: dict[str, Muni]) -> None:
    """Small files that each show a kind of problem in the validation report (see the README there)."""
    m = by_code["XBB-003"]
    v, _ = truth(m, 2024)
    v["foreign_born_population"], v["refugees_asylum_seekers_hosted"] = "environ 14 000", -35
    write_return(m, 2024, v, {}, PROBLEMS / "template-text-and-negative-count.xlsx")

    v, _ = truth(by_code["XCC-002"], 2024)
    save_sheet(
        PROBLEMS / "part-larger-than-whole.xlsx",
        [
            ["Kettlebrook Borough Council - labour market figures, 2024"],
            [],
            [
                "Municipality code",
                "Year",
                "Total population",
                "Total population - Women",
                "Foreign-born population",
                "Migrants 15-64",
                "Employed migrants 15-64",
                "School-age migrant children",
                "Migrant pupils enrolled",
            ],
            [
                "XCC-002",
                2024,
                v["population_total"],
                v["population_total"] + 1250,
                v["foreign_born_population"],
                round(v["migrants_employed"] * 0.93),
                v["migrants_employed"],
                v["migrant_children_school_age"],
                v["migrant_children_school_age"] + 46,
            ],
        ],
    )

    rows = [
        ["Programme unit - population figures compiled from the 2024 returns"],
        [],
        ["Municipality", "Year", "Total population", "Foreign-born population"],
    ]
    for code, name in (("XBB-001", "Montbrisak"), ("XCC-001", "Port Halloway"), ("XAA-001", "San Eulogio")):
        v, _ = truth(by_code[code], 2024)
        rows.append([name, 2024, v["population_total"], v["foreign_born_population"]])
    save_sheet(PROBLEMS / "unknown-municipality-did-you-mean.xlsx", rows)

    v, _ = truth(by_code["XDD-003"], 2024)
    with (PROBLEMS / "excel-error-value.csv").open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out, delimiter=";").writerows(
            [["municipality_code", "year", "raw_field_code", "disaggregation", "value"]]
            + [
                ["XDD-003", 2024, f, "total", x]
                for f, x in (
                    ("population_total", v["population_total"]),
                    ("remittances_received_usd", v["remittances_received_usd"]),
                    ("remittances_to_account_usd", v["remittances_to_account_usd"]),
                    ("remittance_cost_pct", "#DIV/0!"),
                    ("adults_with_account_pct", str(v["adults_with_account_pct"]).replace(".", ",")),
                )
            ]
        )

    v, _ = truth(by_code["XDD-001"], 2024)
    save_sheet(
        PROBLEMS / "values-out-of-range.xlsx",
        [
            [
                "Código municipio",
                "Año",
                *[
                    alias(f, "es")
                    for f in (
                        "ldp_includes_migration",
                        "coordination_mechanism_level",
                        "remittance_cost_pct",
                        "trafficking_victims_identified",
                    )
                ],
                "Población",
            ],
            [
                "XDD-001",
                2024,
                "tal vez",
                4,
                112.5,
                v["trafficking_victims_identified"] + 0.5,
                v["population_total"],
            ],
        ],
    )

    v, _ = truth(by_code["XCC-001"], 2024)
    save_sheet(
        PROBLEMS / "warnings-only-large-change.xlsx",
        [
            ["Port Halloway City Council - early figures for 2025 (provisional)"],
            [],
            [
                "Municipality code",
                "Year",
                "Total population",
                "Foreign-born population",
                "Refugees and asylum-seekers",
            ],
            [
                "XCC-001",
                2025,
                round(v["population_total"] * 1.62),
                round(v["foreign_born_population"] * 1.03),
                round(v["refugees_asylum_seekers_hosted"] * 1.04),
            ],
        ],
    )


def main() -> None:
    try:
        import xlwt  # noqa: F401

        has_xlwt = True
    except ImportError:
        has_xlwt = False
    for folder in (RETURNS, PROBLEMS):
        folder.mkdir(exist_ok=True)
        for path in folder.iterdir():
            if path.is_file() and path.name != "README.md" and (has_xlwt or path.suffix != ".xls"):
                path.unlink()
    munis = [Muni(*row) for row in MUNICIPALITIES]
    for m in munis:
        simulate(m)
    write_register(munis)

    # Coverage grows as the programme matures: many 2015 baselines, sparse years, most report lately;
    # cities, with statistics units of their own, report more often than small municipalities.
    p_report = dict(zip(YEARS, [0.65, 0.3, 0.35, 0.4, 0.45, 0.4, 0.5, 0.55, 0.7, 0.85], strict=True))
    boost = {">250k": 0.15, "50k-250k": 0.0, "<50k": -0.1}
    special = {("XCC-004", 2017): "xls", ("XBB-004", 2019): "csv"}
    revised = {"XBB-002": 2020, "XCC-001": 2023}
    forced = {*special, *revised.items(), ("XCC-001", 2024), ("XCC-003", 2020)}
    written = 0
    for m in munis:
        last = INACTIVE_AFTER.get(m.code, 2024)
        years = {
            y
            for y in YEARS
            if m.first <= y <= last and (y == m.first or rng.random() < p_report[y] + boost[m.band])
        }
        years |= {y for code, y in forced if code == m.code}
        if last == 2024 and not years & {2023, 2024}:
            years.add(2024)
        if m.country == "XAA":
            years.discard(2022)  # that year came from the national statistics extract
        for y in sorted(years):
            v, parts = submitted(m, y)
            sent = dt.date(y + 1, 1, 20) + dt.timedelta(days=int(rng.integers(0, 140)))
            stem = f"{sent}_{m.code}_{y}"
            written += 1
            if special.get((m.code, y)) == "xls":
                legacy_xls(m, y, v, RETURNS / f"{stem}_en.xls")
            elif special.get((m.code, y)) == "csv":
                french_csv(m, y, v, RETURNS / f"{stem}_fr.csv")
            elif revised.get(m.code) == y:  # first a flawed return, then the corrected one
                first = dict(v)
                if m.code == "XBB-002":  # two digits swapped, health coverage not known yet
                    digits = str(v["population_total"])
                    k = next(k for k in range(2, len(digits) - 1) if digits[k] < digits[k + 1])
                    first["population_total"] = int(digits[:k] + digits[k + 1] + digits[k] + digits[k + 2 :])
                    first["migrants_health_covered"] = first["host_health_covered"] = ".."
                else:  # preliminary labour-force survey figures, 4 % low
                    for who in ("migrants", "host"):
                        first[f"{who}_employed"] = round(v[f"{who}_employed"] * 0.96)
                        first[f"{who}_labour_force"] = round(v[f"{who}_labour_force"] * 0.96)
                        first[f"{who}_unemployed"] = first[f"{who}_labour_force"] - first[f"{who}_employed"]
                write_return(m, y, first, {}, RETURNS / f"{stem}_{m.lang}.xlsx")
                later = sent + dt.timedelta(days=int(rng.integers(60, 120)))
                write_return(m, y, v, parts, RETURNS / f"{later}_{m.code}_{y}_{m.lang}_revised.xlsx")
                written += 1
            else:
                write_return(m, y, v, parts, RETURNS / f"{stem}_{m.lang}.xlsx")
    national_extract(
        [m for m in munis if m.country == "XAA"],
        2022,
        RETURNS / "2023-04-18_XAA_national-statistics-extract_2022.xlsx",
    )
    problem_files({m.code: m for m in munis})
    size = sum(p.stat().st_size for p in HERE.rglob("*") if p.is_file()) / 1e6
    problems = sum(p.name != "README.md" for p in PROBLEMS.iterdir())
    print(
        f"wrote {len(munis)} municipalities, {written + 1} sample returns and {problems} problem files "
        f"({size:.1f} MB in sample_data/)"
    )


if __name__ == "__main__":
    main()
