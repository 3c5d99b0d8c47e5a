"""Parties: the states, blocs and organisations a statement can speak for or toward.

A mention in text ("Chinese", "Beijing", "the EC", "Tokyo") is resolved to one canonical
party name. Capitals stand for governments, demonyms for the state, and a few names depend
on the year (Moscow is the Soviet Union before 1992, Russia after).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# ISO3 | canonical name | other names | demonyms/adjectives | capital(s)
_COUNTRIES = """\
AFG|Afghanistan||Afghan|Kabul
AGO|Angola||Angolan|Luanda
ALB|Albania||Albanian|Tirana
AND|Andorra||Andorran|
ARE|United Arab Emirates|UAE,U.A.E.,Emirates|Emirati|Abu Dhabi
ARG|Argentina||Argentine,Argentinian|Buenos Aires
ARM|Armenia||Armenian|Yerevan
ATG|Antigua and Barbuda|||
AUS|Australia||Australian|Canberra
AUT|Austria||Austrian|Vienna
AZE|Azerbaijan||Azerbaijani,Azeri|Baku
BDI|Burundi||Burundian|
BEL|Belgium||Belgian|
BEN|Benin||Beninese|
BFA|Burkina Faso||Burkinabe|
BGD|Bangladesh||Bangladeshi|Dhaka
BGR|Bulgaria||Bulgarian|Sofia
BHR|Bahrain||Bahraini|Manama
BHS|Bahamas|The Bahamas|Bahamian|
BIH|Bosnia and Herzegovina|Bosnia|Bosnian|Sarajevo
BLR|Belarus||Belarusian|Minsk
BLZ|Belize||Belizean|
BOL|Bolivia||Bolivian|La Paz
BRA|Brazil||Brazilian|Brasilia
BRB|Barbados||Barbadian|
BRN|Brunei|Brunei Darussalam|Bruneian|
BTN|Bhutan||Bhutanese|
BWA|Botswana||Botswanan|Gaborone
CAF|Central African Republic|||Bangui
CAN|Canada||Canadian|Ottawa
CHE|Switzerland||Swiss|Bern,Berne
CHL|Chile||Chilean|Santiago
CHN|China|People's Republic of China,PRC|Chinese|Beijing,Peking
CIV|Cote d'Ivoire|Ivory Coast,Côte d'Ivoire|Ivorian|
CMR|Cameroon||Cameroonian|Yaounde
COD|Democratic Republic of the Congo|DR Congo,DRC,Zaire|Congolese,Zairean|Kinshasa
COG|Congo|Republic of the Congo||Brazzaville
COL|Colombia||Colombian|Bogota
COM|Comoros||Comorian|
CPV|Cabo Verde|Cape Verde|Cape Verdean|
CRI|Costa Rica||Costa Rican|San Jose
CUB|Cuba||Cuban|Havana
CYP|Cyprus||Cypriot|Nicosia
CZE|Czechia|Czech Republic,Czechoslovakia|Czech,Czechoslovak|Prague
DEU|Germany|West Germany,Federal Republic of Germany,FRG|German,West German|Berlin,Bonn
DJI|Djibouti||Djiboutian|
DMA|Dominica|||
DNK|Denmark||Danish,Dane|Copenhagen
DOM|Dominican Republic||Dominican|Santo Domingo
DZA|Algeria||Algerian|Algiers
ECU|Ecuador||Ecuadorean,Ecuadorian|Quito
EGY|Egypt||Egyptian|Cairo
ERI|Eritrea||Eritrean|Asmara
ESP|Spain||Spanish|Madrid
EST|Estonia||Estonian|Tallinn
ETH|Ethiopia||Ethiopian|Addis Ababa
FIN|Finland||Finnish|Helsinki
FJI|Fiji||Fijian|Suva
FRA|France||French|Paris
FSM|Micronesia|Federated States of Micronesia|Micronesian|
GAB|Gabon||Gabonese|Libreville
GBR|United Kingdom|Britain,Great Britain,U.K.,UK|British|London
GEO|Georgia||Georgian|Tbilisi
GHA|Ghana||Ghanaian|Accra
GIN|Guinea||Guinean|Conakry
GMB|Gambia|The Gambia|Gambian|Banjul
GNB|Guinea-Bissau|||
GNQ|Equatorial Guinea|||
GRC|Greece||Greek|Athens
GRD|Grenada||Grenadian|
GTM|Guatemala||Guatemalan|
GUY|Guyana||Guyanese|Georgetown
HND|Honduras||Honduran|Tegucigalpa
HRV|Croatia||Croatian|Zagreb
HTI|Haiti||Haitian|Port-au-Prince
HUN|Hungary||Hungarian|Budapest
IDN|Indonesia||Indonesian|Jakarta
IND|India||Indian|New Delhi
IRL|Ireland|Irish Republic|Irish|Dublin
IRN|Iran|Islamic Republic of Iran|Iranian|Tehran
IRQ|Iraq||Iraqi|Baghdad
ISL|Iceland||Icelandic|Reykjavik
ISR|Israel||Israeli|Jerusalem,Tel Aviv
ITA|Italy||Italian|Rome
JAM|Jamaica||Jamaican|Kingston
JOR|Jordan||Jordanian|Amman
JPN|Japan||Japanese|Tokyo
KAZ|Kazakhstan||Kazakh|Astana,Almaty
KEN|Kenya||Kenyan|Nairobi
KGZ|Kyrgyzstan||Kyrgyz|Bishkek
KHM|Cambodia||Cambodian|Phnom Penh
KIR|Kiribati|||
KNA|Saint Kitts and Nevis|||
KOR|South Korea|Republic of Korea,Korea|South Korean,Korean|Seoul
KWT|Kuwait||Kuwaiti|
LAO|Laos|Lao People's Democratic Republic|Lao,Laotian|Vientiane
LBN|Lebanon||Lebanese|Beirut
LBR|Liberia||Liberian|Monrovia
LBY|Libya||Libyan|Tripoli
LCA|Saint Lucia|||
LIE|Liechtenstein|||
LKA|Sri Lanka||Sri Lankan|Colombo
LSO|Lesotho|||
LTU|Lithuania||Lithuanian|Vilnius
LUX|Luxembourg|||
LVA|Latvia||Latvian|Riga
MAR|Morocco||Moroccan|Rabat
MCO|Monaco||Monegasque|
MDA|Moldova|Republic of Moldova|Moldovan|Chisinau
MDG|Madagascar||Malagasy|Antananarivo
MDV|Maldives||Maldivian|
MEX|Mexico||Mexican|Mexico City
MHL|Marshall Islands|||
MKD|North Macedonia|Macedonia|Macedonian|Skopje
MLI|Mali||Malian|Bamako
MLT|Malta||Maltese|Valletta
MMR|Myanmar|Burma|Burmese|Yangon,Naypyidaw,Rangoon
MNE|Montenegro||Montenegrin|Podgorica
MNG|Mongolia||Mongolian|Ulaanbaatar
MOZ|Mozambique||Mozambican|Maputo
MRT|Mauritania||Mauritanian|Nouakchott
MUS|Mauritius||Mauritian|
MWI|Malawi||Malawian|Lilongwe
MYS|Malaysia||Malaysian|Kuala Lumpur
NAM|Namibia||Namibian|Windhoek
NER|Niger||Nigerien|Niamey
NGA|Nigeria||Nigerian|Lagos,Abuja
NIC|Nicaragua||Nicaraguan|Managua
NLD|Netherlands|Holland|Dutch|Amsterdam,The Hague
NOR|Norway||Norwegian|Oslo
NPL|Nepal||Nepalese,Nepali|Kathmandu
NRU|Nauru|||
NZL|New Zealand||New Zealander|Wellington
OMN|Oman||Omani|Muscat
PAK|Pakistan||Pakistani|Islamabad
PAN|Panama||Panamanian|
PER|Peru||Peruvian|Lima
PHL|Philippines||Philippine,Filipino|Manila
PLW|Palau|||
PNG|Papua New Guinea|||Port Moresby
POL|Poland||Polish|Warsaw
PRK|North Korea|Democratic People's Republic of Korea,DPRK|North Korean|Pyongyang
PRT|Portugal||Portuguese|Lisbon
PRY|Paraguay||Paraguayan|Asuncion
PSE|Palestine|State of Palestine,Palestinian Authority,PLO|Palestinian|Ramallah
QAT|Qatar||Qatari|Doha
ROU|Romania|Rumania|Romanian|Bucharest
RUS|Russia|Russian Federation|Russian|Moscow,Kremlin
RWA|Rwanda||Rwandan|Kigali
SAU|Saudi Arabia||Saudi|Riyadh
SDN|Sudan||Sudanese|Khartoum
SEN|Senegal||Senegalese|Dakar
SGP|Singapore||Singaporean|
SLB|Solomon Islands|||
SLE|Sierra Leone||Sierra Leonean|Freetown
SLV|El Salvador||Salvadoran|San Salvador
SMR|San Marino|||
SOM|Somalia||Somali|Mogadishu
SRB|Serbia|Yugoslavia|Serbian,Serb,Yugoslav|Belgrade
SSD|South Sudan||South Sudanese|Juba
STP|Sao Tome and Principe|||
SUR|Suriname||Surinamese|Paramaribo
SVK|Slovakia||Slovak|Bratislava
SVN|Slovenia||Slovenian|Ljubljana
SWE|Sweden||Swedish|Stockholm
SWZ|Eswatini|Swaziland|Swazi|Mbabane
SYC|Seychelles|||
SYR|Syria|Syrian Arab Republic|Syrian|Damascus
TCD|Chad||Chadian|N'Djamena
TGO|Togo||Togolese|Lome
THA|Thailand||Thai|Bangkok
TJK|Tajikistan||Tajik|Dushanbe
TKM|Turkmenistan||Turkmen|Ashgabat
TLS|Timor-Leste|East Timor|Timorese|Dili
TON|Tonga||Tongan|
TTO|Trinidad and Tobago|||
TUN|Tunisia||Tunisian|Tunis
TUR|Turkey|Türkiye,Turkiye|Turkish|Ankara
TUV|Tuvalu|||
TWN|Taiwan|Republic of China|Taiwanese|Taipei
TZA|Tanzania|United Republic of Tanzania|Tanzanian|Dar es Salaam,Dodoma
UGA|Uganda||Ugandan|Kampala
UKR|Ukraine||Ukrainian|Kyiv,Kiev
URY|Uruguay||Uruguayan|Montevideo
USA|United States|U.S.,US,USA,America,United States of America,U.S.A.|American|Washington,White House
UZB|Uzbekistan||Uzbek|Tashkent
VAT|Holy See|Vatican|Vatican|
VCT|Saint Vincent and the Grenadines|||
VEN|Venezuela|Bolivarian Republic of Venezuela|Venezuelan|Caracas
VNM|Viet Nam|Vietnam|Vietnamese|Hanoi
VUT|Vanuatu|||
WSM|Samoa||Samoan|Apia
YEM|Yemen||Yemeni|Sanaa
ZAF|South Africa||South African|Pretoria,Cape Town
ZMB|Zambia||Zambian|Lusaka
ZWE|Zimbabwe||Zimbabwean|Harare
HKG|Hong Kong|||
XKX|Kosovo||Kosovar|Pristina
ABK|Abkhazia||Abkhaz|Sukhumi
ESH|Western Sahara|Sahrawi Arab Democratic Republic|Sahrawi|
"""

# Blocs and organisations: canonical name | other names | adjectives
_ORGANISATIONS = """\
European Union|EU,E.U.,European Commission,European Council,Brussels,the bloc,the Commission|European
European Community|EC,E.C.,EEC,European Economic Community,European Communities,Common Market|
NATO|North Atlantic Treaty Organization,Atlantic Alliance|
United Nations|UN,U.N.,Security Council,General Assembly,Secretary-General,UNESCO,UNHCR,UNRWA,UNICEF,UNDP,World Food Programme,WFP,Food and Agriculture Organization,FAO,International Labour Organization,ILO,World Health Organization,WHO|
G7|Group of Seven,G-7,Group of Five,G-5,G5,Group of Six,G-6,Louvre accord,Louvre agreement|
OPEC|Organisation of Petroleum Exporting Countries,Organization of Petroleum Exporting Countries|
GATT|General Agreement on Tariffs and Trade|
World Trade Organization|WTO|
International Monetary Fund|IMF|
World Bank||
African Union|AU|
ASEAN|Association of South East Asian Nations,Association of Southeast Asian Nations|
International Cocoa Organization|ICCO,International Cocoa Organisation|
International Coffee Organization|ICO,International Coffee Organisation|
International Tin Council|ITC|
International Energy Agency|IEA|
OECD|Organisation for Economic Co-operation and Development,Organization for Economic Cooperation and Development|
Paris Club||
Comecon|CMEA,Council for Mutual Economic Assistance|
Arab League|League of Arab States|
International Atomic Energy Agency|IAEA|
Organization of American States|OAS|
Gulf Cooperation Council|GCC|
OSCE|Organization for Security and Co-operation in Europe,Organisation for Security and Co-operation in Europe|
CSTO|Collective Security Treaty Organisation,Collective Security Treaty Organization|
CIS|Commonwealth of Independent States|
Eurasian Economic Union|EAEU,Eurasian Economic Community,EurAsEC|
SCO|Shanghai Cooperation Organisation,Shanghai Cooperation Organization|
BRICS||
G20|Group of Twenty,G-20|
Council of Europe||
Hamas||
Taliban|the Taliban|
Hezbollah|Hizbollah,Hizballah|
Houthis|Houthi,Ansar Allah|
ISIL|ISIS,Islamic State,Daesh,IS|
Al-Qaeda|al-Qaeda,Al Qaeda|
Kurdish forces|Syrian Democratic Forces,SDF,YPG|
PKK|Kurdistan Workers' Party|
Boko Haram||
Al-Shabaab|al-Shabaab,Al Shabaab|
Libyan National Army|LNA|
TPLF|Tigray People's Liberation Front|
International Committee of the Red Cross|ICRC,Red Cross|
Interpol|INTERPOL|
European Bank for Reconstruction and Development|EBRD|
Syrian opposition||
Venezuelan opposition||
APEC|Asia-Pacific Economic Cooperation|
East African Community|EAC|
Caribbean Community|CARICOM|
Non-Aligned Movement|NAM|
Commonwealth|Commonwealth of Nations|
G5 Sahel|G-5 Sahel|
Pacific Islands Forum||
Pacific Islands Development Forum||
OAPEC|Organization of Arab Petroleum Exporting Countries|
Group of 77|G77,G-77|
Community of Portuguese-speaking Countries|CPLP|
MERCOSUR|Mercosur,Mercosul|
ALBA|Bolivarian Alliance for the Peoples of Our America|
CELAC|Community of Latin American and Caribbean States|
UNASUR|Union of South American Nations|
Melanesian Spearhead Group||
Southern African Development Community|SADC|
ECOWAS|Economic Community of West African States|
International Criminal Court|ICC|
International Sugar Organization||
Petrocaribe|PetroCaribe|
Lake Chad Basin Commission||
Alliance of Small Island States|AOSIS|
Central American Integration System|SICA|
African Development Bank||
European Free Trade Association|EFTA|
Pacific Alliance||
Intergovernmental Authority on Development|IGAD|
Organization of Islamic Cooperation|OIC,Organisation of Islamic Cooperation|
South Asian Association for Regional Cooperation|SAARC|
Indian Ocean Commission||
Asian Development Bank|ADB|
Inter-American Development Bank|IDB,IADB,Inter American Development Bank|
Group of 24|G24,G-24|
International Conference on the Great Lakes Region|ICGLR|
African, Caribbean and Pacific Group|ACP|
Donetsk People's Republic|DPR,DNR|
Luhansk People's Republic|LPR,LNR,Lugansk People's Republic|
"""

ISO3: dict[str, str] = {}
_ALIASES: dict[str, str] = {}


def _register(canonical: str, names: list[str]) -> None:
    for name in names:
        if name:
            _ALIASES.setdefault(name.lower(), canonical)


for _line in _COUNTRIES.strip().split("\n"):
    _iso, _name, _other, _adj, _capitals = _line.split("|")
    ISO3[_iso] = _name
    _register(_name, [_name, *_other.split(","), *_adj.split(","), *_capitals.split(",")])
ISO3["EU"] = "European Union"
for _line in _ORGANISATIONS.strip().split("\n"):
    _name, _other, _adj = _line.split("|")
    _register(_name, [_name, *_other.split(","), *_adj.split(",")])

# Cold War states of the 1987 wire copy; resolve_party picks them by year where a name is shared.
_register("Soviet Union", ["Soviet Union", "USSR", "U.S.S.R.", "Soviet", "Soviets"])
_register("East Germany", ["East Germany", "East German", "GDR"])
# West Germany is a party of its own in the 1987 wire copy, not a spelling of Germany.
_ALIASES.update({"west germany": "West Germany", "west german": "West Germany", "federal republic of germany": "West Germany", "frg": "West Germany"})
_BEFORE = {  # name -> (party before the year, year)
    "moscow": ("Soviet Union", 1992), "kremlin": ("Soviet Union", 1992),
    "bonn": ("West Germany", 1991), "west germany": ("West Germany", 1991), "west german": ("West Germany", 1991),
    "germany": ("West Germany", 1991), "german": ("West Germany", 1991), "berlin": ("West Germany", 1991),
    "european commission": ("European Community", 1993), "european council": ("European Community", 1993),
    "brussels": ("European Community", 1993), "the bloc": ("European Community", 1993),
    "the commission": ("European Community", 1993), "european": ("European Community", 1993),
}

# Adjectives too loose to mark a party when found alone in running text.
_NOT_MENTIONS = {"european", "korean", "the commission", "us", "is"}

@dataclass(frozen=True)
class PartyMention:
    party: str
    start: int
    end: int
    surface: str


def is_canonical(name: str) -> bool:
    """Whether ``name`` is a party's canonical spelling (what records and the model's inputs use)."""
    return bool(name) and resolve_party(name) == name


def canonical_party(name: str, year: int | None = None) -> str:
    """The canonical spelling of a party name ("EU" -> "European Union"); an unknown name comes back as is."""
    return resolve_party(name, year) or name if name else name


def resolve_party(name: str, year: int | None = None) -> str | None:
    """The canonical party a name, demonym, capital or acronym stands for, or None."""
    key = re.sub(r"\s+", " ", name.strip().strip(",'\u2019")).lower()
    if key not in _ALIASES and key not in _BEFORE:
        key = re.sub(r"^the ", "", key.rstrip("."))
    if key in _BEFORE and year is not None and year < _BEFORE[key][1]:
        return _BEFORE[key][0]
    return _ALIASES.get(key)


@lru_cache(maxsize=1)
def _mention_pattern() -> re.Pattern[str]:
    names = sorted((n for n in _ALIASES if n not in _NOT_MENTIONS), key=len, reverse=True)
    alts = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w.])(?:{alts}|US)(?![\w])(?:'s)?", re.I)


def find_party_mentions(text: str, year: int | None = None) -> list[PartyMention]:
    """Every party mention in ``text`` in order, longest names first, with its canonical party."""
    mentions = []
    for m in _mention_pattern().finditer(text):
        surface = re.sub(r"'s$", "", m.group(0))
        # Names are capitalised; this keeps "us", "china" (porcelain) and "french fries" out.
        if surface == "Us" or (not surface[0].isupper() and surface.lower() != "the bloc"):
            continue
        party = resolve_party(surface, year)
        if party:
            mentions.append(PartyMention(party, m.start(), m.start() + len(surface), surface))
    return mentions
