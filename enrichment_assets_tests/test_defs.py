"""The whole project loads: every asset, check, sensor, schedule and resource binding."""

import dagster as dg
import pytest

from enrichment_assets.definitions import defs

# What replaces the legacy beat schedule; each must be in the project and start running.
SENSORS_THE_PROJECT_RELIES_ON = {
    "landing_folder_sensor": dg.SensorDefinition,
    "run_failure_alert": dg.RunStatusSensorDefinition,
    "automation": dg.AutomationConditionSensorDefinition,
}
SCHEDULES_THE_PROJECT_RELIES_ON = {
    "hf_datasets_daily",
    "kaggle_latest_datasets_daily",
    "kaggle_dataset_details_hourly",
    "link_health_daily",
    "storage_cleanup_daily",
}


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs()


def test_definitions_load_and_validate(definitions):
    dg.Definitions.validate_loadable(definitions)
    assert definitions.resolve_asset_graph().get_all_asset_keys()


def test_every_asset_has_a_description_a_group_and_kinds(definitions):
    graph = definitions.resolve_asset_graph()
    materializable = [key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable]
    assert materializable
    for key in materializable:
        node = graph.get(key)
        assert node.description, f"{key.to_user_string()} has no description"
        assert node.group_name and node.group_name != "default", key.to_user_string()
        assert node.kinds, f"{key.to_user_string()} has no kinds"


def test_sensors_the_project_relies_on_start_running(definitions):
    sensors = {sensor.name: sensor for sensor in definitions.sensors or []}
    assert set(SENSORS_THE_PROJECT_RELIES_ON) <= set(sensors), sorted(sensors)
    for name, kind in SENSORS_THE_PROJECT_RELIES_ON.items():
        sensor = definitions.resolve_sensor_def(name)
        assert isinstance(sensor, kind), name
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING, name
    # Every other sensor too: none of them is meant to wait for a click in the UI.
    for sensor in sensors.values():
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING, sensor.name


def test_the_automation_sensor_sees_every_automated_asset(definitions):
    """An asset with an automation condition outside the sensor's target would never run."""
    graph = definitions.resolve_asset_graph()
    automated = {key for key in graph.get_all_asset_keys() if graph.get(key).automation_condition}
    assert automated, "no asset follows its upstream by declarative automation"
    targeted = definitions.resolve_sensor_def("automation").asset_selection.resolve(graph)
    assert automated <= targeted, sorted(key.to_user_string() for key in automated - targeted)


def test_schedules_the_project_relies_on_start_running(definitions):
    names = {schedule.name for schedule in definitions.schedules or []}
    assert names >= SCHEDULES_THE_PROJECT_RELIES_ON, sorted(names)
    for name in SCHEDULES_THE_PROJECT_RELIES_ON:
        schedule = definitions.resolve_schedule_def(name)
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING, name
