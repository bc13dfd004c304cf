"""Purchase sectors of the demonstration: CPV codes with plausible objets, amounts, suppliers' trades.

Each sector groups a few CPV codes (real CPV 2008 codes, checked against the nomenclature) with objets written
in French for this demonstration; ``{site}`` in an objet becomes one of the buyer's buildings ("du collège
de Vitré"), ``{ville}`` its commune. The other fields drive the draws of ``contracts.py`` (amount, framework
agreements, lots, considerations, bids) and of ``suppliers.py`` (how many suppliers, their size, their NAF
code, the words of their invented names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Sector:
    key: str
    cpvs: tuple[tuple[str, str], ...]  # (CPV code, objet template)
    median: float  # median amount EUR HT for a buyer of scale 1
    sigma: float  # spread of the log-normal amount
    works: bool
    ccag: str
    naf: tuple[str, ...]
    trades: tuple[str, ...]  # words for supplier names
    suppliers: int  # size of the supplier pool
    sizes: tuple[float, float, float, float]  # weights of PME, ETI, GE, no category
    ess: float = 0.0  # share of the pool in the social economy
    framework: float = 0.2  # share of framework agreements
    durations: tuple[int, ...] = (12, 24, 36, 48)
    origin: tuple[float, float] | None = None  # origineFrance range when declared
    env: float = 0.0  # bonus to the probability of an environmental consideration
    social: float = 0.0  # bonus to the probability of a social consideration
    single_bid: float = 0.16
    innovative: float = 0.005
    groupement: float = 0.03
    subcontracting: float = 0.04
    lots: tuple[str, ...] = ()  # lot names when a consultation is split


SECTORS: Final[dict[str, Sector]] = {s.key: s for s in (
    Sector(
        "restauration",
        (("15800000", "Fourniture de denrées alimentaires pour la restauration collective"),
         ("15110000", "Fourniture de viandes et volailles sous signe de qualité"),
         ("15300000", "Fourniture de fruits et légumes frais de saison"),
         ("15500000", "Fourniture de produits laitiers et ovoproduits"),
         ("15810000", "Fourniture de pain et de viennoiseries"),
         ("55523100", "Confection et livraison de repas en liaison froide"),
         ("55520000", "Prestations de traiteur pour les réceptions")),
        median=85_000, sigma=0.8, works=False, ccag="Fournitures courantes et services",
        naf=("46.39B", "46.31Z", "46.33Z", "10.71C", "56.29A", "46.32A"),
        trades=("Primeurs", "Distribution alimentaire", "Salaisons", "Laiterie", "Boulangerie", "Restauration",
                "Traiteur", "Maraîchers", "Volailles", "Produits de la mer"),
        suppliers=60, sizes=(0.62, 0.2, 0.15, 0.03), ess=0.05, framework=0.8, durations=(12, 24, 36, 48),
        origin=(0.55, 0.98), env=0.15, single_bid=0.2,
        lots=("Viandes et volailles", "Fruits et légumes", "Produits laitiers", "Épicerie", "Pain et viennoiseries",
              "Produits surgelés")),
    Sector(
        "travaux",
        (("45262700", "Restructuration et extension {site}"),
         ("45210000", "Construction d'un bâtiment annexe {site}"),
         ("45453000", "Réhabilitation {site}"),
         ("45261000", "Réfection de la toiture {site}"),
         ("45321000", "Rénovation énergétique et isolation thermique {site}"),
         ("45310000", "Travaux d'électricité courants forts et faibles {site}"),
         ("45330000", "Remplacement de la production d'eau chaude {site}"),
         ("45233140", "Travaux d'entretien et de renforcement des chaussées"),
         ("45262660", "Désamiantage avant travaux {site}"),
         ("45421000", "Remplacement des menuiseries extérieures {site}"),
         ("45232410", "Renouvellement des réseaux d'assainissement à {ville}"),
         ("45112700", "Aménagement paysager des abords {site}"),
         ("45316110", "Rénovation de l'éclairage public en LED à {ville}"),
         ("45443000", "Ravalement des façades {site}")),
        median=170_000, sigma=1.1, works=True, ccag="Travaux",
        naf=("41.20B", "43.21A", "43.22A", "43.32A", "43.91A", "42.11Z", "43.12A", "43.34Z", "43.99C", "43.29A"),
        trades=("Bâtiment", "Construction", "Charpente", "Couverture", "Menuiserie", "Électricité", "Plomberie",
                "Peinture", "Travaux Publics", "Maçonnerie", "Étanchéité", "Isolation", "Désamiantage",
                "Génie Climatique", "Terrassement", "Façades"),
        suppliers=190, sizes=(0.8, 0.1, 0.08, 0.02), ess=0.01, framework=0.15, durations=(3, 4, 6, 8, 10, 12, 18, 24),
        env=0.1, social=0.18, single_bid=0.14, groupement=0.06, subcontracting=0.22,
        lots=("Gros œuvre", "Charpente – couverture", "Menuiseries extérieures", "Plâtrerie – isolation",
              "Électricité", "Plomberie – chauffage – ventilation", "Peinture – revêtements de sols", "VRD",
              "Serrurerie", "Étanchéité")),
    Sector(
        "informatique",
        (("30213000", "Acquisition de postes de travail et d'écrans"),
         ("30213200", "Fourniture de tablettes numériques pour les élèves"),
         ("48000000", "Fourniture de licences logicielles et services associés"),
         ("48440000", "Acquisition et maintenance du progiciel de gestion financière"),
         ("72267000", "Maintenance et évolution du système d'information"),
         ("72220000", "Accompagnement à la transformation numérique"),
         ("72415000", "Hébergement et infogérance des applications"),
         ("64210000", "Services de téléphonie fixe et mobile"),
         ("72700000", "Maintenance du réseau informatique des sites"),
         ("30121100", "Location et maintenance de copieurs multifonctions")),
        median=110_000, sigma=1.1, works=False, ccag="Techniques de l'information et de la communication",
        naf=("62.02A", "62.01Z", "46.51Z", "61.10Z", "58.29C", "62.03Z", "63.11Z"),
        trades=("Informatique", "Numérique", "Systèmes", "Data", "Réseaux", "Logiciels", "Télécom", "Cloud"),
        suppliers=60, sizes=(0.5, 0.2, 0.27, 0.03), framework=0.55, durations=(12, 24, 36, 48, 60),
        single_bid=0.3, innovative=0.04, groupement=0.04),
    Sector(
        "nettoyage",
        (("90911200", "Nettoyage des locaux {site}"),
         ("90919200", "Nettoyage des bureaux administratifs"),
         ("90911300", "Nettoyage de la vitrerie {site}"),
         ("39830000", "Fourniture de produits d'entretien écolabellisés")),
        median=100_000, sigma=0.9, works=False, ccag="Fournitures courantes et services",
        naf=("81.21Z", "81.22Z", "46.44Z"),
        trades=("Propreté", "Nettoyage", "Services", "Hygiène"),
        suppliers=35, sizes=(0.7, 0.15, 0.12, 0.03), ess=0.14, framework=0.45, durations=(12, 24, 36, 48),
        env=0.2, social=0.2),
    Sector(
        "dechets",
        (("90511000", "Collecte des déchets ménagers et assimilés"),
         ("90513000", "Traitement des déchets non dangereux"),
         ("90524400", "Collecte et traitement des déchets d'activités de soins"),
         ("90514000", "Tri et valorisation des emballages ménagers")),
        median=550_000, sigma=1.0, works=False, ccag="Fournitures courantes et services",
        naf=("38.11Z", "38.21Z", "38.32Z", "38.12Z"),
        trades=("Environnement", "Recyclage", "Valorisation", "Collecte"),
        suppliers=16, sizes=(0.45, 0.25, 0.28, 0.02), ess=0.06, framework=0.3, durations=(36, 48, 60, 72),
        env=0.25, social=0.12, single_bid=0.25),
    Sector(
        "transport",
        (("60130000", "Transport scolaire – circuits du secteur de {ville}"),
         ("60112000", "Exploitation de lignes régulières de transport interurbain"),
         ("60140000", "Transport des élèves vers les équipements sportifs"),
         ("60120000", "Transport adapté des élèves en situation de handicap"),
         ("60161000", "Transport de colis et de plis urgents")),
        median=230_000, sigma=1.0, works=False, ccag="Fournitures courantes et services",
        naf=("49.39A", "49.39B", "49.32Z", "53.20Z"),
        trades=("Cars", "Voyages", "Transports", "Mobilités", "Autocars"),
        suppliers=32, sizes=(0.65, 0.2, 0.13, 0.02), ess=0.03, framework=0.2, durations=(12, 24, 36, 48, 60),
        env=0.12, single_bid=0.28, groupement=0.05),
    Sector(
        "energie",
        (("09310000", "Fourniture et acheminement d'électricité"),
         ("09123000", "Fourniture et acheminement de gaz naturel"),
         ("09134200", "Fourniture de carburants en vrac"),
         ("09135100", "Fourniture de fioul domestique"),
         ("50720000", "Exploitation et maintenance des installations de chauffage {site}"),
         ("09331200", "Fourniture et pose de panneaux photovoltaïques {site}")),
        median=380_000, sigma=1.2, works=False, ccag="Fournitures courantes et services",
        naf=("35.14Z", "35.23Z", "46.71Z", "43.22B"),
        trades=("Énergies", "Énergie", "Thermique", "Solaire", "Chauffage"),
        suppliers=16, sizes=(0.3, 0.2, 0.48, 0.02), framework=0.6, durations=(12, 24, 36, 48, 60, 96),
        env=0.15, single_bid=0.22),
    Sector(
        "ingenierie",
        (("71221000", "Mission de maîtrise d'œuvre pour la réhabilitation {site}"),
         ("71315200", "Assistance à maîtrise d'ouvrage pour la rénovation énergétique {site}"),
         ("71631000", "Contrôle technique de construction {site}"),
         ("71317210", "Coordination sécurité et protection de la santé {site}"),
         ("71600000", "Diagnostics amiante et plomb avant travaux"),
         ("71355000", "Relevés topographiques et géomètre")),
        median=55_000, sigma=1.0, works=False, ccag="Maitrise d'œuvre",
        naf=("71.11Z", "71.12B", "71.20B", "74.90B"),
        trades=("Architectes", "Ingénierie", "Bureau d'études", "Conseil", "Géomètres", "Architecture"),
        suppliers=70, sizes=(0.85, 0.07, 0.05, 0.03), framework=0.2, durations=(12, 24, 36, 48),
        env=0.12, groupement=0.35),
    Sector(
        "fournitures",
        (("30190000", "Fourniture de papier et de fournitures de bureau"),
         ("39160000", "Acquisition de mobilier scolaire"),
         ("39130000", "Acquisition de mobilier de bureau"),
         ("22110000", "Acquisition de livres et de manuels scolaires"),
         ("18110000", "Fourniture de vêtements de travail et d'équipements de protection")),
        median=65_000, sigma=0.9, works=False, ccag="Fournitures courantes et services",
        naf=("46.66Z", "47.61Z", "31.01Z", "14.12Z", "46.49Z"),
        trades=("Bureautique", "Mobilier", "Librairie", "Fournitures", "Papeterie", "Équipement"),
        suppliers=45, sizes=(0.65, 0.17, 0.15, 0.03), ess=0.05, framework=0.75, durations=(12, 24, 36, 48),
        origin=(0.2, 0.9), env=0.1),
    Sector(
        "sante",
        (("33140000", "Fourniture de dispositifs médicaux stériles"),
         ("33600000", "Fourniture de médicaments"),
         ("33111000", "Acquisition d'équipements d'imagerie médicale"),
         ("33190000", "Fourniture de matériel de perfusion"),
         ("33141620", "Fourniture de trousses et de sacs de secours"),
         ("33192000", "Acquisition de mobilier médical")),
        median=180_000, sigma=1.3, works=False, ccag="Fournitures courantes et services",
        naf=("46.46Z", "21.20Z", "32.50A"),
        trades=("Médical", "Santé", "Pharma", "Biomédical", "Healthcare"),
        suppliers=55, sizes=(0.35, 0.28, 0.34, 0.03), framework=0.7, durations=(12, 24, 36, 48),
        origin=(0.05, 0.6), single_bid=0.32, innovative=0.03),
    Sector(
        "espaces_verts",
        (("77310000", "Entretien des espaces verts {site}"),
         ("77211400", "Élagage et abattage d'arbres"),
         ("77313000", "Entretien des parcs et jardins de {ville}"),
         ("03451000", "Fourniture de végétaux et d'arbres d'alignement")),
        median=55_000, sigma=0.8, works=False, ccag="Fournitures courantes et services",
        naf=("81.30Z", "01.30Z"),
        trades=("Paysages", "Jardins", "Espaces Verts", "Pépinières", "Élagage"),
        suppliers=35, sizes=(0.85, 0.07, 0.04, 0.04), ess=0.3, framework=0.4, durations=(12, 24, 36, 48),
        env=0.3, social=0.25),
    Sector(
        "vehicules",
        (("34144210", "Acquisition de fourgons pompe-tonne"),
         ("34144900", "Acquisition de véhicules électriques"),
         ("34136000", "Acquisition de fourgons et de véhicules utilitaires"),
         ("35113400", "Fourniture de tenues de protection des sapeurs-pompiers"),
         ("50110000", "Entretien et réparation du parc automobile")),
        median=140_000, sigma=1.0, works=False, ccag="Fournitures courantes et services",
        naf=("45.11Z", "29.10Z", "45.20A", "14.12Z"),
        trades=("Automobiles", "Véhicules", "Carrosserie", "Poids Lourds", "Garage"),
        suppliers=25, sizes=(0.5, 0.25, 0.22, 0.03), framework=0.45, durations=(6, 12, 24, 36, 48),
        origin=(0.3, 0.85), single_bid=0.3),
    Sector(
        "services",
        (("79341000", "Conception et réalisation de campagnes de communication"),
         ("80500000", "Formation professionnelle des agents"),
         ("66510000", "Assurance dommages aux biens"),
         ("66516000", "Assurance responsabilité civile et risques annexes"),
         ("79212000", "Audit financier et accompagnement budgétaire"),
         ("79410000", "Accompagnement à la démarche d'achats responsables"),
         ("79530000", "Traduction et interprétariat"),
         ("79952000", "Organisation d'événements et de salons")),
        median=50_000, sigma=1.0, works=False, ccag="Prestations intellectuelles",
        naf=("70.22Z", "85.59A", "65.12Z", "73.11Z", "69.20Z", "74.30Z", "82.30Z"),
        trades=("Conseil", "Communication", "Formation", "Assurances", "Études", "Événements", "Audit"),
        suppliers=65, sizes=(0.75, 0.12, 0.1, 0.03), ess=0.04, framework=0.35, durations=(12, 24, 36, 48),
        groupement=0.05),
    Sector(
        "maintenance",
        (("50750000", "Maintenance des ascenseurs {site}"),
         ("50413200", "Vérification et maintenance des extincteurs"),
         ("50700000", "Maintenance multitechnique des bâtiments"),
         ("50730000", "Maintenance des équipements de cuisine et de froid {site}")),
        median=65_000, sigma=0.9, works=False, ccag="Fournitures courantes et services",
        naf=("43.29B", "33.12Z", "43.22B", "33.14Z"),
        trades=("Maintenance", "Ascenseurs", "Sécurité Incendie", "Froid", "Multiservices"),
        suppliers=40, sizes=(0.6, 0.2, 0.17, 0.03), framework=0.4, durations=(12, 24, 36, 48),
        single_bid=0.22),
    Sector(
        "impression",
        (("79810000", "Impression des supports de communication"),
         ("22460000", "Impression de catalogues et de guides"),
         ("79820000", "Routage et mise sous pli")),
        median=45_000, sigma=0.7, works=False, ccag="Fournitures courantes et services",
        naf=("18.12Z", "82.19Z"),
        trades=("Imprimerie", "Impression", "Graphique", "Routage"),
        suppliers=18, sizes=(0.8, 0.1, 0.06, 0.04), ess=0.18, framework=0.6, durations=(12, 24, 36),
        env=0.15, social=0.15),
    Sector(
        "securite",
        (("79713000", "Gardiennage et surveillance {site}"),
         ("79711000", "Télésurveillance des bâtiments"),
         ("35125000", "Fourniture et installation de vidéoprotection à {ville}")),
        median=110_000, sigma=0.9, works=False, ccag="Fournitures courantes et services",
        naf=("80.10Z", "80.20Z"),
        trades=("Sécurité", "Surveillance", "Protection", "Gardiennage"),
        suppliers=15, sizes=(0.6, 0.2, 0.17, 0.03), framework=0.4, durations=(12, 24, 36, 48),
        single_bid=0.22, social=0.08),
    Sector(
        "recherche",
        (("73110000", "Prestations de recherche et d'études"),
         ("38434000", "Acquisition d'analyseurs de laboratoire"),
         ("33696500", "Fourniture de réactifs de laboratoire")),
        median=110_000, sigma=1.1, works=False, ccag="Prestations intellectuelles",
        naf=("72.19Z", "46.69B"),
        trades=("Laboratoires", "Scientifique", "Instruments", "Analyses"),
        suppliers=25, sizes=(0.45, 0.25, 0.27, 0.03), framework=0.4, durations=(12, 24, 36, 48),
        single_bid=0.35, innovative=0.1),
)}

#: Concession objets by sector of the concessionnaire: (nature, objet).
CONCESSIONS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "transport": (("Délégation de service public", "Exploitation du réseau de transport urbain"),
                  ("Concession de service public", "Exploitation du service de vélos en libre-service")),
    "energie": (("Délégation de service public", "Exploitation du réseau de chaleur urbain"),
                ("Concession de service", "Exploitation des bornes de recharge pour véhicules électriques")),
    "restauration": (("Délégation de service public", "Délégation du service public de la restauration scolaire"),
                     ("Concession de service", "Exploitation du restaurant administratif")),
    "dechets": (("Délégation de service public", "Exploitation du centre de tri et de valorisation"),),
    "services": (("Concession de service", "Exploitation du camping municipal"),
                 ("Délégation de service public", "Gestion et exploitation du centre aquatique"),
                 ("Concession de service public", "Exploitation du parc de stationnement"),
                 ("Concession de service", "Gestion de la fourrière automobile")),
    "travaux": (("Concession de travaux", "Concession de travaux pour l'aménagement de la zone d'activités"),),
}
