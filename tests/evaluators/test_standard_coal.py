"""Standard coal by GB/T 2589 coefficients (STANDARDS.md §7; 1 kgce = 29 307.6 kJ)."""
import pytest

from evaluators.energy import carrier, carriers, standard_coal


@pytest.mark.parametrize(("energy", "kgce"), [
    # 1 000 000 kWh × 0.1229 kgce/kWh (当量值) = 122 900 kgce = 122.9 tce
    ({"electricity_kwh": 1_000_000}, 122_900),
    # 1 000 kg 原煤 × 0.7143 = 714.3 kgce
    ({"raw_coal_kg": 1_000}, 714.3),
    # 10 000 m³ 天然气 × 1.2143 = 12 143 kgce
    ({"natural_gas_m3": 10_000}, 12_143),
    # 1 000 kg 柴油 × 1.4571 = 1 457.1 kgce
    ({"diesel_kg": 1_000}, 1_457.1),
    # 1 000 GJ = 1 000 000 MJ 热力 × 0.03412 = 34 120 kgce
    ({"heat_mj": 1_000_000}, 34_120),
    # 122 900 + 12 143 + 714.3 = 135 757.3 kgce
    ({"electricity_kwh": 1_000_000, "natural_gas_m3": 10_000, "raw_coal_kg": 1_000}, 135_757.3),
    # form strings: "1,000,000" kWh = 122 900 kgce
    ({"electricity_kwh": "1,000,000"}, 122_900),
])
def test_worked_examples(energy, kgce):
    result = standard_coal(energy)
    assert float(result.total_kgce) == kgce
    assert result.steps[-2].result == kgce
    assert result.steps[-1].result == pytest.approx(kgce / 1000)
    assert result.steps[-1].unit == "tce"


def test_each_step_names_its_factor_and_source():
    step = standard_coal({"electricity_kwh": 1_000_000}).steps[0]
    assert step.factor == 0.1229
    assert step.factor_unit == "kgce/kWh"
    assert "GB/T 2589" in step.factor_source
    assert step.factor_confidence == "secondary"
    assert step.to_dict()["inputs"] == {"消费量": 1_000_000.0, "单位": "kWh"}


def test_electricity_is_the_equivalent_value_not_the_old_equal_value():
    # 当量值 0.1229 kgce/kWh, never the 等价值 (≈ 0.404 kgce/kWh).
    assert float(carrier("electricity_kwh").kgce_per_unit) == 0.1229


def test_unreadable_negative_and_unknown_amounts_are_left_out_with_a_note():
    result = standard_coal({"electricity_kwh": "abc", "diesel_kg": -5, "煤气": 100,
                            "natural_gas_m3": 10_000})
    assert float(result.total_kgce) == 12_143
    assert len(result.notes) == 3
    assert any("煤气" in note for note in result.notes)


@pytest.mark.parametrize("energy", [None, "", [], "x", {}])
def test_no_energy_data_gives_no_steps(energy):
    result = standard_coal(energy)
    assert result.steps == () and result.total_kgce == 0


def test_every_carrier_has_source_and_confidence():
    for item in carriers():
        assert item.source and item.confidence in ("confirmed", "secondary", "unconfirmed")
        assert item.kgce_per_unit > 0
