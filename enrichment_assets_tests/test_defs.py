"""The whole project loads: every asset, check, sensor, schedule and resource binding."""

import dagster as dg

from enrichment_assets.definitions import defs


def test_definitions_load_and_validate():
    definitions = defs()
    dg.Definitions.validate_loadable(definitions)
    assert definitions.resolve_asset_graph().get_all_asset_keys()


def test_every_asset_has_a_description_a_group_and_kinds():
    graph = defs().resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assert node.description, f"{key.to_user_string()} has no description"
        assert node.group_name and node.group_name != "default", key.to_user_string()
        assert node.kinds, f"{key.to_user_string()} has no kinds"


def test_sensors_the_project_relies_on_start_running():
    for sensor in defs().sensors or []:
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING, sensor.name
