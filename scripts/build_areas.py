"""Write feedback/data/areas.json for one province from the `vietnam-provinces` package.

The app ships the generated file so that neither `make run` nor the tests need the package;
run this again (`pip install vietnam-provinces` first) when the official list changes:

    python scripts/build_areas.py 56 > feedback/data/areas.json
"""

from __future__ import annotations

import json
import sys

from vietnam_provinces import Province, Ward, __data_version__


def build(province_code: int) -> dict[str, object]:
    province = next(p for p in Province.iter_all() if int(p.code) == province_code)
    wards = sorted(
        (w for w in Ward.iter_all() if int(w.province_code) == province_code),
        key=lambda w: w.name,
    )
    return {
        "source": f"vietnam-provinces data {__data_version__}",
        "code": str(int(province.code)),
        "name": f"Tỉnh {province.name}",
        "kind": province.division_type.value,
        "children": [
            {"code": str(int(w.code)), "name": w.name, "kind": w.division_type.value}
            for w in wards
        ],
    }


if __name__ == "__main__":
    json.dump(build(int(sys.argv[1])), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
