"""CO2 from fuels and purchased electricity (STANDARDS.md §7), and intensities."""
import pytest

from evaluators import carbon, energy, intensities


@pytest.mark.parametrize(("year", "region", "factor_year", "place", "value"), [
    (2023, "330100", 2023, "330000", 0.4974),      # Zhejiang's own 2023 factor [S]
    (2023, "340800", 2023, "east_china", 0.5500),  # Anqing: Anhui has none, east-China grid
    (2022, "330000", 2022, "east_china", 0.5617),
    (2022, "440000", 2022, "national", 0.5366),    # Guangdong: not in the east-China grid
    (2021, "330000", 2021, "national", 0.5568),    # no regional factor for 2021
    (2025, "330000", 2023, "national", 0.5306),    # no 2025 factor: latest national ≤ 2025
    (2024, None, 2023, "national", 0.5306),
    (2019, "330000", 2021, "national", 0.5568),    # before every factor: earliest national
    (None, "330000", 2023, "national", 0.5306),    # no year: latest national
])
def test_grid_factor_choice(year, region, factor_year, place, value):
    choice = carbon.grid_factor(year, region)
    assert (choice.factor.year, choice.factor.region, float(choice.factor.kgco2_per_kwh)) == (
        factor_year, place, value)
    assert choice.why


def _co2(energy_data, renewables=None, year=2023, region="110000"):
    amounts, _ = energy.read_amounts(energy_data)
    return carbon.emissions(amounts, renewables, year, region)


@pytest.mark.parametrize(("energy_data", "renewables", "year", "region", "kg"), [
    # 1 000 000 kWh × 0.5306 (2023 national; Beijing is outside the east-China grid) = 530.6 t
    ({"electricity_kwh": 1_000_000}, None, 2023, "110000", 530_600),
    # data year 2025, Zhejiang: no 2025 factor → 2023 national 0.5306 → 530.6 t
    ({"electricity_kwh": 1_000_000}, None, 2025, "330000", 530_600),
    # 2023 Zhejiang 0.4974 → 497.4 t
    ({"electricity_kwh": 1_000_000}, None, 2023, "330106", 497_400),
    # (1 000 000 − 200 000 own PV − 300 000 green power) × 0.5306 = 265 300 kg
    ({"electricity_kwh": 1_000_000},
     {"own_generation_kwh": 200_000, "green_power_purchased_kwh": "300000"},
     2023, "110000", 265_300),
    # 10 000 m³ natural gas × 2.162 kg/m³ (21.62 t/10⁴ Nm³) = 21 620 kg
    ({"natural_gas_m3": 10_000}, None, 2023, "110000", 21_620),
    # 1 000 kg raw coal counted as bituminous 1.747 t/t = 1 747 kg
    ({"raw_coal_kg": 1_000}, None, 2023, "110000", 1_747),
    # 530 600 + 21 620 + 3 096 (1 000 kg diesel × 3.096) = 555 316 kg
    ({"electricity_kwh": 1_000_000, "natural_gas_m3": 10_000, "diesel_kg": 1_000}, None, 2023,
     "110000", 555_316),
])
def test_worked_examples(energy_data, renewables, year, region, kg):
    result = _co2(energy_data, renewables, year, region)
    assert float(result.total_kg) == kg
    assert result.steps[-1].result == pytest.approx(kg / 1000)


def test_zero_carbon_power_is_subtracted_in_steps_of_its_own():
    result = _co2({"electricity_kwh": 1_000_000},
                  {"own_generation_kwh": 200_000, "green_power_purchased_kwh": 300_000})
    steps = {step.key: step for step in result.steps}
    assert steps["carbon.grid_kwh"].result == 800_000
    assert steps["carbon.emitting_kwh"].result == 500_000
    electricity = steps["carbon.electricity"]
    assert electricity.factor == 0.5306
    assert "2023年全国" in electricity.factor_source
    assert electricity.factor_confidence == "confirmed"


def test_fallback_is_explained_in_the_factor_source():
    step = next(s for s in _co2({"electricity_kwh": 1}, year=2025, region="330000").steps
                if s.key == "carbon.electricity")
    assert "2025年尚无" in step.factor_source and "2023年" in step.factor_source


def test_renewables_larger_than_consumption_are_capped_with_a_note():
    result = _co2({"electricity_kwh": 100_000}, {"own_generation_kwh": 150_000})
    assert result.total_kg == 0
    assert result.notes


def _calculate(**document):
    return dict(intensities.calculate(document, document.pop("year", 2023),
                                      document.pop("region", "110000")).figures)


def test_intensities_per_output_and_value_added():
    figures = _calculate(energy={"electricity_kwh": 1_000_000},
                         output={"output_value_10k_yuan": 1_000, "value_added_10k_yuan": 250})
    # 122 900 kgce ÷ 1 000 万元 = 122.9; 530 600 kgCO2 ÷ 1 000 = 530.6
    assert figures["kgce_per_10k_output"] == 122.9
    assert figures["kgco2_per_10k_output"] == 530.6
    # ÷ 250 万元: 491.6 kgce/万元, 2 122.4 kgCO2/万元
    assert figures["kgce_per_10k_value_added"] == 491.6
    assert figures["kgco2_per_10k_value_added"] == 2122.4
    assert "carbon_efficiency_level" not in figures  # outside Zhejiang


@pytest.mark.parametrize(("value_added", "efficiency", "level"), [
    # 1 000 000 kWh × 0.4974 (2023 Zhejiang) = 497.4 t
    (1_000, 0.4974, "低碳"),  # 497.4 ÷ 1 000 = 0.4974 ≤ 0.6
    (500, 0.9948, "中碳"),    # 497.4 ÷ 500 = 0.9948 ≤ 2.0
    (200, 2.487, "高碳"),     # 497.4 ÷ 200 = 2.487 > 2.0
])
def test_zhejiang_carbon_efficiency_level(value_added, efficiency, level):
    figures = _calculate(energy={"electricity_kwh": 1_000_000}, region="330100",
                         output={"value_added_10k_yuan": value_added})
    assert figures["carbon_efficiency_tco2_per_10k"] == efficiency
    assert figures["carbon_efficiency_level"] == level


def test_renewable_share():
    # (100 000 + 100 000) kWh × 0.1229 = 24 580 kgce ÷ 122 900 kgce = 20 %
    figures = _calculate(energy={"electricity_kwh": 1_000_000},
                         renewables={"own_generation_kwh": 100_000,
                                     "green_power_purchased_kwh": 100_000})
    assert figures["renewable_share_percent"] == 20.0


def test_single_product_intensity_and_several_products_noted():
    # 122 900 kgce ÷ 1 000 t = 122.9 kgce/t
    document = {"energy": {"electricity_kwh": 1_000_000},
                "output": {"products": [{"name": "水泥", "unit": "t", "quantity": "1000"}]}}
    result = intensities.calculate(document, 2023, "110000")
    assert result.figure("kgce_per_product_unit") == 122.9
    several = dict(document, output={"products": [{"quantity": 1}, {"quantity": 2}]})
    result = intensities.calculate(several, 2023, "110000")
    assert result.figure("kgce_per_product_unit") is None
    assert any("多种产品" in note for note in result.notes)


def test_zero_output_value_is_noted_not_divided():
    result = intensities.calculate({"energy": {"electricity_kwh": 1},
                                    "output": {"output_value_10k_yuan": 0}}, 2023, None)
    assert result.figure("kgce_per_10k_output") is None
    assert any("不大于 0" in note for note in result.notes)


@pytest.mark.parametrize(("average", "k", "grade"), [
    # L = 497.4 t ÷ 1 000 万元 = 0.4974 tCO2/万元 (2023 Zhejiang factor 0.4974)
    ("1.0", 0.4974, "1级"),   # K = 0.4974 ÷ 1.0 ≤ 0.6
    (0.7, 0.7106, "2级"),     # 0.4974 ÷ 0.7 = 0.7106 ≤ 0.8
    (0.4974, 1.0, "3级"),     # K = 1 ≤ 1.2
    (0.3, 1.658, "4级"),      # 0.4974 ÷ 0.3 = 1.658 ≤ 2.0
    (0.2, 2.487, "5级"),      # 2.487 > 2.0
])
def test_zhejiang_carbon_efficiency_grade_by_industry_average(average, k, grade):
    result = intensities.calculate(
        {"energy": {"electricity_kwh": 1_000_000},
         "output": {"value_added_10k_yuan": 1_000, "industry_average_carbon_intensity": average}},
        2023, "330100")
    assert result.figure("carbon_efficiency_k") == k
    assert result.figure("carbon_efficiency_grade") == grade
    step = next(s for s in result.steps if s.key == "intensity.carbon_efficiency_grade")
    assert step.factor_source == "DB33/T 1347-2023" and step.result == k


def test_carbon_efficiency_grade_needs_the_industry_average():
    result = intensities.calculate({"energy": {"electricity_kwh": 1_000_000},
                                    "output": {"value_added_10k_yuan": 1_000}}, 2023, "330100")
    assert result.figure("carbon_efficiency_level") == "低碳"
    assert result.figure("carbon_efficiency_grade") is None
    assert any("行业平均碳效值" in note for note in result.notes)


def test_own_renewable_and_green_power_are_shown():
    result = intensities.calculate(
        {"energy": {"electricity_kwh": 1_000_000},
         "renewables": {"own_generation_kwh": 200_000, "green_power_purchased_kwh": 300_000}},
        2023, "110000")
    assert result.figure("own_renewable_kwh") == 200_000
    assert result.figure("green_power_kwh") == 300_000
    names = [step.name for step in result.steps]
    assert "扣除自发自用可再生能源电量（零碳电力）" in names and "扣除外购绿色电力（零碳电力）" in names


def test_every_factor_step_names_its_source():
    result = intensities.calculate(
        {"energy": {"electricity_kwh": 1_000_000, "natural_gas_m3": 10_000},
         "output": {"output_value_10k_yuan": 1_000, "value_added_10k_yuan": 250}}, 2023, "330100")
    for step in result.steps:
        if step.factor is not None:
            assert step.factor_source and step.factor_confidence and step.factor_unit
