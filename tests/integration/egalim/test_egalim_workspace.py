"""The buyer's Egalim workspace through HTTP, on both database engines: a Région's buyer uploads purchase files
(CSV, XLSX) through the form, reads the report (counts, each refused cell named, the rejects CSV), sees the
published figures move, finds the import in the audit log; unreadable files, CSRF, roles and organisations;
platform administrators see and remove every import.

``PURCHASES``: four lines of the Lycée de Cornouaille in 2024 — yoghurt 300 € bio, tomatoes 700 € not Egalim
(accepted: 1 000 €, Egalim and bio 30 %), bread with a price of « 12,345 » (line 4: one refused cell) and a line
with a bad date and an unknown family (line 5: two refused cells): 4 lines read, 2 accepted, 2 refused, 3 refused
cells.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

from spaser.audit import AuditEntry, verify
from spaser.indicators.egalim import published
from spaser.indicators.egalim.access import display_name
from spaser.indicators.egalim.store import EgalimStore, ImportManifest
from spaser.web.egalim_workspace import SHOWN, STALE_UPLOAD_S
from tests.integration.egalim.egalim_files import write_xlsx
from tests.marketplace_world import World
from tests.platform_fixtures import ENGINES
from tests.web_client import client_for, csrf_of

pytestmark = pytest.mark.parametrize("empty_database", ENGINES, indirect=True)

HOME = "/acheteur/egalim"
A = "19290012400012"  # Lycée de Cornouaille
HEADER = "siret,description,fournisseur,date,prix_ht,famille_produits,categories_egalim\n"
PURCHASES = HEADER + (
    f"{A},Yaourt nature bio,Laiterie de Plouvien,2024-01-15,300.00,PRODUITS_LAITIERS,BIO\n"
    f"{A},Tomates,Primeurs du Léon,2024-02-01,700.00,FRUITS_ET_LEGUMES,\n"
    f'{A},Pain,Boulangerie Chaptal,2024-03-01,"12,345",BOULANGERIE,\n'
    f"{A},Épicerie,Grossiste,2024-13-01,10.00,EPICERIE_FINE,\n"
)


def store_of(world: World) -> EgalimStore:
    return EgalimStore.of(world.platform.settings)


def upload(client: TestClient, name: str, content: bytes, *, token: str | None = "page",
           content_type: str = "text/csv") -> Response:
    """Submit the workspace's form with one file, like a browser (``token=None``: without the CSRF field)."""
    data = {} if token is None else {"csrf_token": csrf_of(client.get(HOME).text) if token == "page" else token}
    return client.post(f"{HOME}/imports", data=data, files={"fichier": (name, content, content_type)},
                       follow_redirects=False)


def message_of(response: Response) -> str:
    assert response.status_code == 303, response.text[:500]
    return parse_qs(urlsplit(response.headers["location"]).query)["message"][0]


def report_url(response: Response) -> str:
    assert response.status_code == 303, response.text[:500]
    return urlsplit(response.headers["location"]).path


def audit_entries(world: World) -> list[tuple[str, str, str, str, dict[str, Any] | None]]:
    with world.platform.db() as session:
        assert verify(session, world.platform.secrets.audit_key).ok
        return [(e.actor, e.action, e.entity_type, e.entity_id, None if e.after is None else json.loads(e.after))
                for e in session.scalars(select(AuditEntry).where(AuditEntry.action.like("egalim.%"))
                                         .order_by(AuditEntry.id))]


def remove(client: TestClient, import_id: str, page: str = HOME) -> Response:
    token = csrf_of(client.get(page).text)
    return client.post(f"{HOME}/imports/{import_id}/supprimer", data={"csrf_token": token}, follow_redirects=False)


@pytest.fixture
def buyer(world: World) -> TestClient:
    return client_for(world, world.buyer.email)


def imported(world: World, client: TestClient, name: str = "achats-2024.csv", content: str = PURCHASES
             ) -> ImportManifest:
    response = upload(client, name, content.encode())
    import_id = report_url(response).rsplit("/", 1)[-1]
    return store_of(world).manifest(import_id)


# -- the happy path ---------------------------------------------------------------------------------------------


def test_a_buyer_uploads_a_csv_and_reads_the_report(world: World, buyer: TestClient) -> None:
    page = buyer.get(HOME)
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    html = page.text
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    assert 'type="file"' in html and 'accept=".csv,.xlsx' in html and '<label for="egalim-fichier">' in html
    assert "ma cantine" in html and 'href="/egalim"' in html and "<code>prix_ht</code>" in html
    assert "Aucun import pour l&#39;instant." in html
    assert buyer.get(f"{HOME}.json").json()["imports"] == []
    assert buyer.get("/egalim.json").json()["empty"] is True

    response = upload(buyer, "achats-2024.csv", PURCHASES.encode())
    url = report_url(response)
    assert url.startswith(f"{HOME}/imports/")
    assert message_of(response) == ("« achats-2024.csv » importé : 2 ligne(s) acceptée(s), 2 refusée(s), 0 écart(s) "
                                    "avec les matrices des fournisseurs.")
    import_id = url.rsplit("/", 1)[-1]
    report = buyer.get(response.headers["location"])
    assert report.status_code == 200 and report.headers["cache-control"] == "private, no-store"
    text = report.text
    assert "<h1>Rapport d&#39;import — achats-2024.csv</h1>" in text and "importé : 2 ligne(s)" in text
    assert "Cellules refusées (3)" in text and "12,345" in text and "<code>prix_ht</code>" in text
    assert "2024-13-01" in text and "EPICERIE_FINE" in text
    assert f'href="{HOME}/imports/{import_id}.csv"' in text and "Aucun écart avec les matrices" in text

    data = buyer.get(f"{url}.json").json()
    row = data["import"]
    assert (row["file"], row["actor"], row["organisation"], row["lines_read"], row["accepted"], row["rejected"],
            row["conflicts"]) == ("achats-2024.csv", world.buyer.email, "Région Bretagne", 4, 2, 2, 0)
    assert data["rejects_total"] == 3 and len(data["rejects"]) == 3
    first = data["rejects"][0]
    assert (first["line"], first["column"], first["value"]) == (4, "prix_ht", "12,345")
    assert {(r["line"], r["column"]) for r in data["rejects"][1:]} == {(5, "date"), (5, "famille_produits")}

    manifest = store_of(world).manifest(import_id)
    assert (manifest.file, manifest.actor, manifest.organisation_id) == (
        "achats-2024.csv", world.buyer.email, world.region.id)
    assert not any((store_of(world).root / "uploads").iterdir())  # the staged upload is gone

    # the rejects CSV has every refused cell with its raw line
    rejects = buyer.get(f"{url}.csv")
    assert rejects.status_code == 200 and rejects.headers["cache-control"] == "private, no-store"
    assert rejects.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(rejects.text)))
    assert rows[0] == ["line", "column", "value", "reason", "raw"]
    assert sorted((r[0], r[1]) for r in rows[1:]) == [("4", "prix_ht"), ("5", "date"), ("5", "famille_produits")]
    assert rows[1][2] == "12,345"
    assert len(rows) == 4 and all(r[3] for r in rows[1:]) and rows[1][4].startswith(A + ",Pain,")

    # the published figures moved, and the list shows the import
    summary = buyer.get("/egalim.json").json()["summary"]
    assert (summary["total_ht"], summary["lines"], summary["egalim"]["rounded"], summary["bio"]["rounded"]) == (
        1000.0, 2, 30.0, 30.0)
    listing = buyer.get(f"{HOME}.json").json()
    assert [(i["id"], i["accepted"], i["url"]) for i in listing["imports"]] == [(import_id, 2, url)]
    assert listing["organisation"] == "Région Bretagne" and listing["may_import"] is True
    assert f'href="{url}"' in buyer.get(HOME).text

    # the audit log
    assert audit_entries(world) == [(world.buyer.email, "egalim.import", "egalim_import", import_id, {
        "file": "achats-2024.csv", "sha256": manifest.sha256, "lines_read": 4, "accepted": 2, "rejected": 2,
        "conflicts": 0, "organisation_id": world.region.id})]

    # the same file again, under another name: nothing imported, the earlier report
    again = upload(buyer, "copie.csv", PURCHASES.encode())
    assert report_url(again) == url and "déjà importé" in message_of(again)
    assert "déjà importé" in buyer.get(again.headers["location"]).text
    assert len(store_of(world).imports()) == 1 and len(audit_entries(world)) == 1


def test_uploads_left_by_a_killed_server_are_removed(world: World, buyer: TestClient) -> None:
    """A server killed mid-import leaves its staged copy in uploads/: the next upload removes those older than a
    day, and leaves younger ones (another worker's import may be running)."""
    uploads = store_of(world).root / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    old, recent, other = uploads / "upload-old.csv", uploads / "upload-recent.csv", uploads / "notes.txt"
    for path in (old, recent, other):
        path.write_text("x")
    two_days_ago = time.time() - 2 * STALE_UPLOAD_S
    os.utime(old, (two_days_ago, two_days_ago))
    os.utime(other, (two_days_ago, two_days_ago))
    report_url(upload(buyer, "achats-2024.csv", PURCHASES.encode()))
    assert sorted(p.name for p in uploads.iterdir()) == ["notes.txt", "upload-recent.csv"]


def test_repeated_lines_name_only_the_importers_own_imports(world: World, buyer: TestClient) -> None:
    """Lines another organisation already imported are counted in the warning, its file not named; the importer's
    own earlier import is named."""
    first = imported(world, buyer)
    other = client_for(world, world.other_buyer.email)
    overlapping = HEADER + f"{A},Tomates,Primeurs du Léon,2024-02-01,700.00,FRUITS_ET_LEGUMES,\n" + (
        f"{A},Riz,Grossiste,2024-04-01,40.00,AUTRES,\n")
    theirs = imported(world, other, "finistere.csv", overlapping)
    assert theirs.warnings == (
        "1 ligne(s) identique(s) à des lignes déjà importées (imports d'autres organisations : 1) : si ce fichier "
        "recouvre un import précédent, ces achats comptent deux fois ; supprimez alors l'import en double",)
    report = other.get(f"{HOME}/imports/{theirs.id}").text
    assert "imports d&#39;autres organisations : 1" in report and "achats-2024.csv" not in report
    ours = imported(world, buyer, "achats-bis.csv", overlapping.replace("Riz", "Pâtes"))
    assert ours.warnings == (
        f"1 ligne(s) identique(s) à des lignes déjà importées (« achats-2024.csv » ({first.id}) : 1, imports "
        "d'autres organisations : 1) : si ce fichier recouvre un import précédent, ces achats comptent deux fois ; "
        "supprimez alors l'import en double",)


def test_an_xlsx_upload_and_the_buyer_home_link(world: World, buyer: TestClient, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "achats.xlsx", [
        ["siret", "description", "fournisseur", "date", "prix_ht", "famille_produits", "categories_egalim"],
        [A, "Poulet Label Rouge", "Volailles de Cornouaille", "2024-04-02", 400, "VIANDES_VOLAILLES", "LABEL_ROUGE"],
        [A, "Riz", "Grossiste", "2024-04-03", -5, "AUTRES", ""],
    ])
    response = upload(buyer, "Achats T2 (lycées).xlsx", path.read_bytes(),
                      content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    data = buyer.get(f"{report_url(response)}.json").json()
    assert (data["import"]["file"], data["import"]["format"], data["import"]["accepted"],
            data["import"]["rejected"]) == ("Achats T2 (lycées).xlsx", "xlsx", 1, 1)
    assert [(r["line"], r["column"]) for r in data["rejects"]] == [(3, "prix_ht")]
    assert buyer.get("/egalim.json").json()["summary"]["egalim"]["rounded"] == 100.0
    home = buyer.get("/acheteur").text
    assert f'href="{HOME}"' in home and "Importer les achats de restauration (Egalim)" in home
    assert f'href="{HOME}"' not in client_for(world, world.evaluator.email).get("/acheteur").text
    english = buyer.get(f"{HOME}?lang=en").text
    assert "<h1>Collective catering purchases (Egalim)</h1>" in english and "Achats T2 (lycées).xlsx" in english


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "achats.csv : fichier vide"),
    (b"%PDF-1.7\n\x00\x01binary", "achats.csv : fichier binaire, ni CSV ni XLSX"),
    (b"siret,description\n19290012400012,Pain\n", "colonnes obligatoires absentes : fournisseur, date, prix_ht"),
])
def test_an_unreadable_file_is_refused_whole(world: World, buyer: TestClient, content: bytes, expected: str
                                             ) -> None:
    response = upload(buyer, "achats.csv", content)
    assert response.status_code == 400
    assert expected in response.text and 'role="alert"' in response.text
    assert str(store_of(world).root) not in response.text  # the staged file's path is never shown
    assert 'type="file"' in response.text  # the form again
    assert expected in upload(buyer, "achats.csv", content).text
    assert store_of(world).imports() == [] and audit_entries(world) == []
    assert not any((store_of(world).root / "uploads").iterdir())


def test_no_file_and_tricky_file_names(world: World, buyer: TestClient) -> None:
    token = csrf_of(buyer.get(HOME).text)
    response = buyer.post(f"{HOME}/imports", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 400 and "fichier : choisissez un fichier" in response.text
    manifest = imported(world, buyer, name="../../etc/passwd.csv")
    assert manifest.file == "passwd.csv"
    assert not (store_of(world).root.parent.parent / "etc").exists()
    assert imported(world, buyer, name="x" * 300 + ".csv", content=PURCHASES + "\n").file == "x" * 200
    assert display_name("C:\\Users\\moi\\achats.csv") == "achats.csv" and display_name("/\n") == "fichier"
    assert display_name("ach\x07ats\u202e.csv") == "achats.csv"


# -- who may do what ----------------------------------------------------------------------------------------------


def test_csrf_anonymous_and_roles(world: World, buyer: TestClient) -> None:
    refused = upload(buyer, "achats.csv", PURCHASES.encode(), token=None)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert upload(buyer, "achats.csv", PURCHASES.encode(), token="forged").status_code == 403
    assert store_of(world).imports() == []

    anonymous = client_for(world)
    page = anonymous.get(HOME, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/connexion?suite=%2Facheteur%2Fegalim"
    assert anonymous.get(f"{HOME}.json").status_code == 401
    token = csrf_of(anonymous.get("/connexion").text)
    posted = anonymous.post(f"{HOME}/imports", data={"csrf_token": token},
                            files={"fichier": ("a.csv", PURCHASES.encode(), "text/csv")}, follow_redirects=False)
    assert posted.status_code == 401

    manifest = imported(world, buyer)
    for user in (world.supplier_a, world.evaluator):
        client = client_for(world, user.email)
        assert client.get(HOME).status_code == 403
        assert client.get(f"{HOME}.json").status_code == 403
        assert client.get(f"{HOME}/imports/{manifest.id}").status_code == 403
        assert client.get(f"{HOME}/imports/{manifest.id}.csv").status_code == 403
        token = csrf_of(client.get("/").text)
        assert client.post(f"{HOME}/imports", data={"csrf_token": token},
                           files={"fichier": ("b.csv", b"x", "text/csv")}, follow_redirects=False).status_code == 403
        assert client.post(f"{HOME}/imports/{manifest.id}/supprimer", data={"csrf_token": token},
                           follow_redirects=False).status_code == 403
    assert [m.id for m in store_of(world).imports()] == [manifest.id]


def test_another_organisation_sees_nothing_of_the_import(world: World, buyer: TestClient) -> None:
    manifest = imported(world, buyer)
    other = client_for(world, world.other_buyer.email)
    assert other.get(f"{HOME}.json").json()["imports"] == []
    assert manifest.file not in other.get(HOME).text
    for suffix in ("", ".json", ".csv"):
        assert other.get(f"{HOME}/imports/{manifest.id}{suffix}").status_code == 403
    assert remove(other, manifest.id).status_code == 403
    # the same file: « déjà importé », without the other organisation's report
    again = upload(other, "nos-achats.csv", PURCHASES.encode())
    assert urlsplit(again.headers["location"]).path == HOME
    assert message_of(again) == "« nos-achats.csv » : déjà importé (même contenu) ; rien n'a été ajouté."
    assert manifest.id not in other.get(again.headers["location"]).text
    # the buyer's colleague (admin of the same Région) sees it
    colleague = client_for(world, world.admin.email)
    assert [i["id"] for i in colleague.get(f"{HOME}.json").json()["imports"]] == [manifest.id]
    assert colleague.get(f"{HOME}/imports/{manifest.id}").status_code == 200
    assert [m.id for m in store_of(world).imports()] == [manifest.id]


def test_a_platform_admin_sees_and_removes_every_import(world: World, buyer: TestClient, tmp_path: Path) -> None:
    manifest = imported(world, buyer)
    cli_file = tmp_path / "cli.csv"
    cli_file.write_text(HEADER + f"{A},Lait bio,Laiterie,2024-05-05,50.00,PRODUITS_LAITIERS,BIO\n", encoding="utf-8")
    from_cli = store_of(world).import_file(cli_file).manifest  # as the command line: no organisation
    published.refresh(store_of(world))
    assert from_cli.organisation_id is None
    assert [i["id"] for i in buyer.get(f"{HOME}.json").json()["imports"]] == [manifest.id]
    assert buyer.get(f"{HOME}/imports/{from_cli.id}").status_code == 403

    operator = client_for(world, world.operator.email)
    listing = operator.get(f"{HOME}.json").json()
    assert listing["all_organisations"] is True and listing["may_import"] is False
    assert {(i["id"], i["organisation"]) for i in listing["imports"]} == {
        (manifest.id, "Région Bretagne"), (from_cli.id, "")}
    html = operator.get(HOME).text
    assert "ligne de commande" in html and 'type="file"' not in html and "Administrateur de la plateforme" in html
    assert operator.get(f"{HOME}/imports/{manifest.id}").status_code == 200
    assert operator.get(f"{HOME}/imports/{manifest.id}.csv").status_code == 200
    assert upload(operator, "achats.csv", b"x").status_code == 403  # importing is for buyers

    before = buyer.get("/egalim.json").json()["summary"]["total_ht"]
    assert before == 1050.0
    response = remove(operator, manifest.id)
    assert response.headers["location"].startswith(f"{HOME}?message=")
    assert message_of(response) == ("Import de « achats-2024.csv » supprimé : ses 2 ligne(s) ne comptent plus dans "
                                    "les résultats Egalim.")
    assert "supprimé" in operator.get(response.headers["location"]).text
    assert [m.id for m in store_of(world).imports()] == [from_cli.id]
    assert buyer.get("/egalim.json").json()["summary"]["total_ht"] == 50.0
    assert buyer.get(f"{HOME}/imports/{manifest.id}").status_code == 404
    assert audit_entries(world)[-1] == (world.operator.email, "egalim.remove", "egalim_import", manifest.id, {
        "file": "achats-2024.csv", "accepted": 2, "organisation_id": world.region.id})


def test_the_buyer_removes_its_import_and_may_import_it_again(world: World, buyer: TestClient) -> None:
    manifest = imported(world, buyer)
    response = remove(buyer, manifest.id, page=f"{HOME}/imports/{manifest.id}")
    assert response.status_code == 303 and store_of(world).imports() == []
    assert buyer.get("/egalim.json").json()["empty"] is True
    token = csrf_of(buyer.get(HOME).text)
    assert buyer.post(f"{HOME}/imports/{manifest.id}/supprimer", data={"csrf_token": token},
                      follow_redirects=False).status_code == 404
    again = imported(world, buyer)
    assert again.sha256 == manifest.sha256
    assert [a[1] for a in audit_entries(world)] == ["egalim.import", "egalim.remove", "egalim.import"]


def test_removal_needs_the_csrf_token(world: World, buyer: TestClient) -> None:
    manifest = imported(world, buyer)
    response = buyer.post(f"{HOME}/imports/{manifest.id}/supprimer", follow_redirects=False)
    assert response.status_code == 403
    assert [m.id for m in store_of(world).imports()] == [manifest.id]


@pytest.mark.parametrize("import_id", ["20260901T080000Z-0123456789ab", "nimporte-quoi", "..%2F..%2Fimports",
                                       "20260901T080000Z-0123456789ab.json.bak"])
def test_unknown_and_malformed_ids_are_404(world: World, buyer: TestClient, import_id: str) -> None:
    for suffix in ("", ".json", ".csv"):
        assert buyer.get(f"{HOME}/imports/{import_id}{suffix}").status_code == 404
    assert remove(buyer, import_id).status_code == 404


def test_the_report_page_caps_the_refused_cells(world: World, buyer: TestClient) -> None:
    bad = "".join(f"{A},Article {n},Grossiste,2024-01-01,prix {n},AUTRES,\n" for n in range(SHOWN + 20))
    manifest = imported(world, buyer, name="gros.csv", content=HEADER + bad)
    assert (manifest.lines_read, manifest.rejected) == (SHOWN + 20, SHOWN + 20)
    html = buyer.get(f"{HOME}/imports/{manifest.id}").text
    assert html.count("<tr><td class=\"num\">") == SHOWN
    assert "Seules les premières sont affichées ici : 500 / 520." in html
    data = buyer.get(f"{HOME}/imports/{manifest.id}.json").json()
    assert (len(data["rejects"]), data["rejects_total"]) == (SHOWN, SHOWN + 20)
    rows = list(csv.reader(io.StringIO(buyer.get(f"{HOME}/imports/{manifest.id}.csv").text)))
    assert len(rows) == SHOWN + 21 and rows[-1][2] == f"prix {SHOWN + 19}"


def test_a_formula_in_a_refused_cell_is_neutralised_in_the_csv(world: World, buyer: TestClient) -> None:
    manifest = imported(world, buyer, content=HEADER + f'{A},Pain,Boulangerie,2024-01-01,"=1+2",AUTRES,\n'
                                                       f"{A},Pain,Boulangerie,2024-01-01,-5,AUTRES,\n")
    rows = list(csv.reader(io.StringIO(buyer.get(f"{HOME}/imports/{manifest.id}.csv").text)))
    assert [r[2] for r in rows[1:]] == ["'=1+2", "-5"]


def test_old_manifests_without_organisation_still_load(world: World) -> None:
    data = {"id": "20240101T000000Z-0123456789ab", "file": "a.csv", "sha256": "0" * 64, "format": "csv",
            "separator": ",", "encoding": "utf-8", "imported_at": "2024-01-01T00:00:00Z", "actor": "cli",
            "lines_read": 1, "accepted": 1, "rejected": 0, "conflicts": 0, "warnings": []}
    manifest = ImportManifest.from_json(data)
    assert manifest.organisation_id is None
    assert manifest.to_json() == data | {"organisation_id": None}
