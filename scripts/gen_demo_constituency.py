#!/usr/bin/env python3
"""Writes demo/constituency.json: a made-up but plausible Vietnamese constituency for the demo.

The national centre, the 34 provincial police units, the 11 sector response teams, ministries,
IT providers and about a hundred member organisations, with contacts and ownership (IPv4 blocks
carved from Vietnam's real allocations, IPv6 /48s, AS numbers, domains, hosts). It also assigns
the addresses and host names that the demo telemetry (demo/*.jsonl, demo/*.log) uses, so that
demo detections attribute to member organisations.

Deterministic (fixed seed); Python 3 standard library only. Usage:
    scripts/gen_demo_constituency.py [--out demo/constituency.json]
"""
import argparse
import ipaddress
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "config" / "reference"

rng = random.Random(20250701)


def slug_compact(province_id):
    return province_id.replace("-", "")


class Pool:
    """Carves aligned, non-overlapping blocks out of one allocation, front to back, with gaps."""

    def __init__(self, cidr):
        self.net = ipaddress.ip_network(cidr)
        self.cursor = int(self.net.network_address)

    def take(self, prefix):
        size = 1 << (self.net.max_prefixlen - prefix)
        self.cursor += rng.randrange(0, 4) * 256 if self.net.version == 4 else 0  # leave some gaps
        start = (self.cursor + size - 1) // size * size
        block = ipaddress.ip_network((start, prefix))
        assert block.subnet_of(self.net), f"{self.net} exhausted"
        self.cursor = start + size
        return str(block)


class SubPool(Pool):
    """Smaller blocks inside an IT provider's hosting block (no gaps: the block is small)."""

    def take(self, prefix):
        size = 1 << (self.net.max_prefixlen - prefix)
        start = (self.cursor + size - 1) // size * size
        block = ipaddress.ip_network((start, prefix))
        assert block.subnet_of(self.net), f"{self.net} exhausted"
        self.cursor = start + size
        return str(block)


POOLS = {
    "vnpt": [Pool("14.160.0.0/11"), Pool("113.160.0.0/11"), Pool("123.16.0.0/12")],
    "viettel": [Pool("27.64.0.0/12"), Pool("171.224.0.0/11"), Pool("125.212.128.0/17")],
    "fpt": [Pool("42.112.0.0/13"), Pool("58.186.0.0/15"), Pool("118.69.0.0/16")],
    "gov": [Pool("203.162.0.0/16"), Pool("203.113.128.0/18")],
}
V6 = {"vnpt": "2001:ee0", "viettel": "2402:800", "fpt": "2405:4800"}
v6_next = {"vnpt": 0x2000, "viettel": 0x2000, "fpt": 0x2000}  # providers' /40s lie below 0x2000


def v4(isp, prefix):
    return rng.choice(POOLS[isp]).take(prefix)


def v6(isp):
    v6_next[isp] += rng.randrange(1, 16)
    return f"{V6[isp]}:{v6_next[isp]:x}::/48"


SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
            "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Minh", "Hữu", "Đức", "Thanh", "Ngọc", "Quang", "Thu", "Hoài"]
GIVEN = [("An", "an"), ("Bình", "binh"), ("Cường", "cuong"), ("Dũng", "dung"), ("Giang", "giang"), ("Hà", "ha"),
         ("Hải", "hai"), ("Hạnh", "hanh"), ("Hùng", "hung"), ("Khánh", "khanh"), ("Lan", "lan"), ("Linh", "linh"),
         ("Long", "long"), ("Mai", "mai"), ("Nam", "nam"), ("Phương", "phuong"), ("Quân", "quan"),
         ("Sơn", "son"), ("Thảo", "thao"), ("Trang", "trang"), ("Tuấn", "tuan"), ("Việt", "viet"), ("Yến", "yen")]
ASCII = {"Nguyễn": "nguyen", "Trần": "tran", "Lê": "le", "Phạm": "pham", "Hoàng": "hoang", "Huỳnh": "huynh",
         "Phan": "phan", "Vũ": "vu", "Võ": "vo", "Đặng": "dang", "Bùi": "bui", "Đỗ": "do", "Hồ": "ho", "Ngô": "ngo",
         "Dương": "duong", "Lý": "ly", "Văn": "v", "Thị": "t", "Minh": "m", "Hữu": "h", "Đức": "d", "Thanh": "t",
         "Ngọc": "n", "Quang": "q", "Thu": "t", "Hoài": "h"}
ROLES = ["security officer", "on-call", "IT manager", "CISO"]


def contacts(domain, n=None):
    out = []
    for k in range(n or rng.choice([1, 2])):
        sur, mid, (given, given_ascii) = rng.choice(SURNAMES), rng.choice(MIDDLE), rng.choice(GIVEN)
        user = f"{given_ascii}.{ASCII[sur][0]}{ASCII[mid]}"
        phone = f"+84 2{rng.randrange(0, 100):02d} {rng.randrange(100, 1000)} {rng.randrange(1000, 10000)}"
        out.append({"name": f"{sur} {mid} {given}", "email": f"{user}@{domain}", "phone": phone,
                    "role": ROLES[k] if k else rng.choice(ROLES[:1] + ROLES[2:])})
    return out


def org(id, name, kind, parent="ncsc", province="", sectors=(), criticality=3, domains=(), networks=(), asns=(),
        hosts=(), it_providers=(), n_contacts=None):
    return {"id": id, "name": name, "kind": kind, "parent": parent, "province": province, "sectors": list(sectors),
            "criticality": criticality,
            "contacts": contacts(domains[0], n_contacts) if domains else [],
            "it_providers": list(it_providers), "networks": list(networks), "asns": list(asns),
            "domains": list(domains), "hosts": list(hosts)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "demo" / "constituency.json"))
    args = ap.parse_args()
    provinces = json.loads((REF / "vn-provinces.json").read_text(encoding="utf-8"))["units"]
    sectors = json.loads((REF / "vn-priority-sectors.json").read_text(encoding="utf-8"))["sectors"]
    prov = {p["id"]: p for p in provinces}

    def place(p):  # "tỉnh Nghệ An", "thành phố Đà Nẵng", "Thành phố Hồ Chí Minh"
        if p["name_vi"].startswith("Thành phố"):
            return p["name_vi"]
        return ("thành phố " if p["kind"] == "city" else "tỉnh ") + p["name_vi"]

    orgs = [org("ncsc", "Trung tâm Giám sát an toàn không gian mạng quốc gia (NCSC)", "national_centre", parent="",
                criticality=5, domains=["ncsc.gov.vn"], networks=[v4("gov", 27)], n_contacts=2)]

    for p in provinces:
        d = f"congan.{slug_compact(p['id'])}.gov.vn"
        orgs.append(org(f"ca-{p['id']}", f"Công an {place(p)}", "provincial_unit", province=p["id"], criticality=4,
                        domains=[d], n_contacts=1))
    for s in sectors:
        d = f"csirt-{s['id']}.gov.vn"
        orgs.append(org(f"csirt-{s['id']}", f"Đội ứng cứu sự cố an toàn thông tin mạng ngành {s['name_vi']}",
                        "sector_team", sectors=[s["id"]], criticality=4, domains=[d], n_contacts=1))

    ministries = [
        ("bo-tai-chinh", "Bộ Tài chính", ["finance"], "mof.gov.vn"),
        ("bo-y-te", "Bộ Y tế", ["health"], "moh.gov.vn"),
        ("bo-cong-thuong", "Bộ Công Thương", ["energy"], "moit.gov.vn"),
        ("bo-xay-dung", "Bộ Xây dựng", ["transport", "urban"], "moc.gov.vn"),
        ("bo-khcn", "Bộ Khoa học và Công nghệ", ["information-communications"], "most.gov.vn"),
        ("bo-nn-mt", "Bộ Nông nghiệp và Môi trường", ["natural-resources-environment"], "mae.gov.vn"),
        ("nhnn", "Ngân hàng Nhà nước Việt Nam", ["banking"], "sbv.gov.vn"),
    ]
    for mid, name, secs, d in ministries:
        orgs.append(org(mid, name, "ministry", province="ha-noi", sectors=secs, criticality=5, domains=[d],
                        networks=[v4("gov", 26)], hosts=[f"mail.{d}"]))

    # IT providers: each has a hosting block; some customers get a smaller block inside it.
    providers = [
        ("vnpt", "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)", "vnpt", "vnpt.vn", [45899], "ha-noi"),
        ("viettel-idc", "Công ty TNHH Viettel IDC", "viettel", "viettelidc.com.vn", [7552], "ha-noi"),
        ("fpt-cloud", "Công ty TNHH FPT Smart Cloud", "fpt", "fptcloud.com", [18403], "ha-noi"),
        ("cmc-cloud", "Công ty Cổ phần Hạ tầng Viễn thông CMC", "vnpt", "cmctelecom.vn", [45903], "ha-noi"),
        ("saoviet-cloud", "Công ty Cổ phần Dịch vụ Đám mây Sao Việt", "viettel", "saovietcloud.vn", [135967],
         "ho-chi-minh"),
    ]
    hosting = {}
    for pid, name, isp, d, asns, province in providers:
        block = v4(isp, 20)
        hosting[pid] = (SubPool(block), isp)
        nets = [block, f"{V6[isp]}:{0x10 + len(hosting):x}00::/40"]
        if pid == "saoviet-cloud":
            nets.append("203.0.113.0/24")  # demo telemetry: the attackers' rented servers
        orgs.append(org(pid, name, "it_provider", province=province, sectors=["information-communications"],
                        criticality=4, domains=[d], networks=nets, asns=asns, hosts=[f"ns1.{d}", f"ns2.{d}"]))

    members = []

    def member(id, name, kind, parent, province, secs, crit, domain, isp=None, provider=None, hosts=(), v6_too=False,
               extra_nets=(), asns=()):
        nets = list(extra_nets)
        its = []
        if provider:
            sub, pisp = hosting[provider]
            nets.append(sub.take(rng.choice([26, 27, 28])))
            its.append(provider)
            isp = isp or pisp
        if isp:
            nets.append(v4(isp, rng.choice([24, 25, 26, 27, 28])))
            if v6_too and isp in V6:
                nets.append(v6(isp))
        if not provider and rng.random() < 0.5:
            its.append(rng.choice([p[0] for p in providers if p[0] != "saoviet-cloud"]))
        hosts = list(hosts) or [f"www.{domain}", f"mail.{domain}"]
        members.append(org(id, name, kind, parent=parent, province=province, sectors=secs, criticality=crit,
                           domains=[domain], networks=nets, asns=asns, hosts=hosts, it_providers=its))

    # National members under ministries.
    member("kbnn", "Kho bạc Nhà nước", "important_operator", "bo-tai-chinh", "ha-noi", ["finance"], 5, "vst.gov.vn",
           isp="gov")
    member("cuc-thue", "Cục Thuế", "important_operator", "bo-tai-chinh", "ha-noi", ["finance"], 5, "gdt.gov.vn",
           isp="vnpt", v6_too=True)
    member("cuc-hai-quan", "Cục Hải quan", "important_operator", "bo-tai-chinh", "ha-noi", ["finance"], 5,
           "customs.gov.vn", isp="viettel", v6_too=True)
    member("bv-bach-mai", "Bệnh viện Bạch Mai", "important_operator", "bo-y-te", "ha-noi", ["health"], 4,
           "bachmai.gov.vn", isp="vnpt")
    member("bv-cho-ray", "Bệnh viện Chợ Rẫy", "important_operator", "bo-y-te", "ho-chi-minh", ["health"], 4,
           "choray.vn", provider="fpt-cloud")
    member("bv-tw-hue", "Bệnh viện Trung ương Huế", "important_operator", "bo-y-te", "hue", ["health"], 4,
           "bvtwhue.com.vn", isp="viettel")
    member("evn", "Tập đoàn Điện lực Việt Nam (EVN)", "important_operator", "bo-cong-thuong", "ha-noi", ["energy"], 5,
           "evn.com.vn", isp="vnpt", v6_too=True, asns=[24173])
    member("evn-npc", "Tổng công ty Điện lực miền Bắc", "important_operator", "evn", "ha-noi", ["energy"], 5,
           "npc.com.vn", isp="viettel")
    member("evn-cpc", "Tổng công ty Điện lực miền Trung", "important_operator", "evn", "da-nang", ["energy"], 5,
           "cpc.vn", isp="fpt")
    member("evn-spc", "Tổng công ty Điện lực miền Nam", "important_operator", "evn", "ho-chi-minh", ["energy"], 5,
           "evnspc.vn", isp="vnpt")
    member("evn-nldc", "Công ty TNHH MTV Vận hành hệ thống điện và thị trường điện Quốc gia", "important_operator",
           "evn", "ha-noi", ["energy"], 5, "nsmo.vn", isp="gov")
    member("pvn", "Tập đoàn Công nghiệp - Năng lượng Quốc gia Việt Nam", "important_operator", "bo-cong-thuong",
           "ha-noi", ["energy"], 5, "pvn.vn", isp="fpt", v6_too=True)
    member("acv", "Tổng công ty Cảng hàng không Việt Nam", "important_operator", "bo-xay-dung", "ho-chi-minh",
           ["transport"], 5, "vietnamairport.vn", isp="viettel")
    member("vnr", "Tổng công ty Đường sắt Việt Nam", "important_operator", "bo-xay-dung", "ha-noi", ["transport"], 4,
           "vr.com.vn", isp="vnpt")
    member("cang-hai-phong", "Công ty Cổ phần Cảng Hải Phòng", "enterprise", "bo-xay-dung", "hai-phong",
           ["transport"], 4, "haiphongport.com.vn", isp="viettel")
    member("cang-sai-gon", "Tổng công ty Tân Cảng Sài Gòn", "enterprise", "ncsc", "ho-chi-minh", ["transport"], 4,
           "saigonnewport.com.vn", provider="viettel-idc")
    member("cang-da-nang", "Công ty Cổ phần Cảng Đà Nẵng", "enterprise", "bo-xay-dung", "da-nang", ["transport"], 3,
           "danangport.com", isp="fpt")
    member("vnnic", "Trung tâm Internet Việt Nam (VNNIC)", "important_operator", "bo-khcn", "ha-noi",
           ["information-communications"], 5, "vnnic.vn", isp="gov", v6_too=False, asns=[131072])
    member("vnpost", "Tổng công ty Bưu điện Việt Nam", "enterprise", "bo-khcn", "ha-noi",
           ["information-communications"], 3, "vnpost.vn", provider="vnpt")
    member("tc-khi-tuong", "Tổng cục Khí tượng Thủy văn", "important_operator", "bo-nn-mt", "ha-noi",
           ["natural-resources-environment"], 4, "kttv.gov.vn", isp="gov")
    member("cuc-bvmt", "Cục Kiểm soát ô nhiễm môi trường", "important_operator", "bo-nn-mt", "ha-noi",
           ["natural-resources-environment"], 3, "pcd.gov.vn", isp="vnpt")
    member("agribank", "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam", "important_operator", "nhnn",
           "ha-noi", ["banking"], 5, "agribank.com.vn", isp="vnpt", v6_too=True, asns=[45542])
    member("vcb", "Ngân hàng TMCP Ngoại thương Việt Nam", "important_operator", "nhnn", "ha-noi", ["banking"], 5,
           "vietcombank.com.vn", isp="fpt", v6_too=True, asns=[45543])
    member("bidv", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam", "important_operator", "nhnn", "ha-noi",
           ["banking"], 5, "bidv.com.vn", isp="viettel", v6_too=True, asns=[45544])
    member("vietinbank", "Ngân hàng TMCP Công Thương Việt Nam", "important_operator", "nhnn", "ha-noi", ["banking"],
           5, "vietinbank.vn", isp="vnpt", asns=[45545])
    member("napas", "Công ty Cổ phần Thanh toán Quốc gia Việt Nam (NAPAS)", "important_operator", "nhnn", "ha-noi",
           ["banking", "finance"], 5, "napas.com.vn", isp="fpt")
    member("ck-hcm", "Sở Giao dịch Chứng khoán Thành phố Hồ Chí Minh", "important_operator", "bo-tai-chinh",
           "ho-chi-minh", ["finance"], 5, "hsx.vn", provider="cmc-cloud")
    member("dhqg-hn", "Đại học Quốc gia Hà Nội", "enterprise", "ncsc", "ha-noi", [], 2, "vnu.edu.vn", isp="vnpt",
           v6_too=True)
    member("dhbk-hn", "Đại học Bách khoa Hà Nội", "enterprise", "ncsc", "ha-noi", [], 2, "hust.edu.vn", isp="fpt")
    member("dhqg-hcm", "Đại học Quốc gia Thành phố Hồ Chí Minh", "enterprise", "ncsc", "ho-chi-minh", [], 2,
           "vnuhcm.edu.vn", isp="viettel")
    member("dh-can-tho", "Trường Đại học Cần Thơ", "enterprise", "ncsc", "can-tho", [], 2, "ctu.edu.vn",
           provider="vnpt")
    member("vinamilk", "Công ty Cổ phần Sữa Việt Nam", "enterprise", "ncsc", "ho-chi-minh", [], 2,
           "vinamilk.com.vn", provider="fpt-cloud")
    member("tiki", "Công ty Cổ phần Ti Ki", "enterprise", "ncsc", "ho-chi-minh", [], 2, "tiki.vn",
           provider="saoviet-cloud")

    # Demo telemetry: the Windows domain and network sensor of a provincial hospital, and the Linux
    # servers of a city's public-service portal.
    member("bvhn-nghe-an", "Bệnh viện Hữu nghị Đa khoa Nghệ An", "important_operator", "so-y-te-nghe-an", "nghe-an",
           ["health"], 4, "bvhnna.vn", isp="vnpt",
           extra_nets=["10.10.0.0/16"],
           hosts=["ws01.corp.local", "ws21.corp.local", "ws22.corp.local", "ws23.corp.local", "ws24.corp.local",
                  "web01.corp.local", "web02.corp.local", "srv-file01", "nsm01"])
    member("cong-dvc-da-nang", "Trung tâm Thông tin dịch vụ công thành phố Đà Nẵng", "important_operator",
           "so-khcn-da-nang", "da-nang", ["government-administration"], 4, "dichvucong.danang.gov.vn", isp="viettel",
           extra_nets=["192.0.2.0/24"], hosts=["bastion01", "bastion02", "web01", "web02"])

    # Provincial members: departments, hospitals, power companies, universities, enterprises.
    templates = [
        ("so-y-te", "Sở Y tế {p}", "soyte.{c}.gov.vn", ["health"], "important_operator", 3),
        ("so-tai-chinh", "Sở Tài chính {p}", "stc.{c}.gov.vn", ["finance"], "important_operator", 3),
        ("so-khcn", "Sở Khoa học và Công nghệ {p}", "skhcn.{c}.gov.vn", ["government-administration"],
         "important_operator", 3),
        ("bvdk", "Bệnh viện Đa khoa {p}", "bvdk{c}.vn", ["health"], "important_operator", 4),
        ("pc", "Công ty Điện lực {n}", "pc{c}.evn.com.vn", ["energy"], "important_operator", 4),
        ("cap-nuoc", "Công ty Cổ phần Cấp nước {n}", "capnuoc{c}.com.vn", ["urban"], "enterprise", 3),
        ("dh", "Trường Đại học {n}", "dh{c}.edu.vn", [], "enterprise", 2),
        ("xe-buyt", "Công ty Vận tải hành khách {n}", "xebuyt{c}.com.vn", ["transport"], "enterprise", 2),
        ("so-nn-mt", "Sở Nông nghiệp và Môi trường {p}", "snnmt.{c}.gov.vn", ["natural-resources-environment"],
         "important_operator", 3),
    ]
    wanted = {("so-y-te", "nghe-an"), ("so-khcn", "da-nang")}  # parents of the demo orgs above
    pairs = sorted(wanted) + sorted(
        (t[0], p["id"]) for t in templates for p in provinces if rng.random() < 0.2 and (t[0], p["id"]) not in wanted)
    by_key = {t[0]: t for t in templates}
    isps = ["vnpt", "viettel", "fpt", "gov"]
    for key, pid in pairs:
        _, name, dom, secs, kind, crit = by_key[key]
        p = prov[pid]
        c = slug_compact(pid)
        parent = "ncsc"
        if key == "bvdk":
            parent = f"so-y-te-{pid}" if ("so-y-te", pid) in pairs else "bo-y-te"
        elif key == "pc":  # the regional power corporation, by the province's code (north, centre, south)
            parent = "evn-npc" if p["code"] < "40" else "evn-cpc" if p["code"] < "66" else "evn-spc"
        provider = rng.choice([None, None, None, "vnpt", "viettel-idc", "fpt-cloud", "cmc-cloud"])
        member(f"{key}-{pid}", name.format(p=place(p), n=p["name_vi"]), kind, parent, pid, secs,
               min(5, crit + rng.choice([-1, 0, 0, 1])), dom.format(c=c), isp=None if provider else rng.choice(isps),
               provider=provider, v6_too=rng.random() < 0.2)

    orgs += members
    doc = {
        "note": "Demo constituency written by scripts/gen_demo_constituency.py: plausible, not real. Network "
                "blocks are carved from Vietnamese allocations for illustration only; 10.10.0.0/16, 192.0.2.0/24 "
                "and 203.0.113.0/24 and the demo host names are those of the demo telemetry.",
        "organisations": orgs,
    }
    out = Path(args.out)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    kinds = {}
    for o in orgs:
        kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
    print(f"wrote {out}: {len(orgs)} organisations {kinds}")


if __name__ == "__main__":
    main()
