"""The code graph's jobs: index one repository (what the sensor runs), and register or
unregister a repository from the launchpad."""

import dagster as dg
from pydantic import Field

from enrichment_assets.defs.partitions import code_repositories
from enrichment_assets.lib.code_graph import registry
from enrichment_assets.lib.code_graph.ids import BadRepository
from enrichment_assets.resources.code_graph import CodeGraphResource
from enrichment_assets.resources.database import DatabaseResource

INDEX_ASSETS = ("code_graph_manifest", "code_graph", "code_embeddings")

index_repository = dg.define_asset_job(
    name="index_repository",
    selection=dg.AssetSelection.assets(*INDEX_ASSETS),
    # Three steps in a chain: one process spares two imports of the definitions and the model.
    executor_def=dg.in_process_executor,
    description="Manifest, graph and embeddings of one repository (a partition per "
    "`<tenant>.<repo>`). Only what changed is parsed and encoded; a run stopped by the time "
    "limit or killed is taken up by the next.",
)


class RegisterConfig(dg.Config):
    tenant: str = Field(description="Tenant id: 1-40 of a-z, 0-9, '-', '_'.")
    repository: str = Field(description="Repository id, unique within the tenant (same rule).")
    path: str = Field(description="The working tree or folder, under CODE_GRAPH_ROOTS.")


class UnregisterConfig(dg.Config):
    tenant: str = Field(description="Tenant id.")
    repository: str = Field(description="Repository id.")


def _failure(error: Exception) -> dg.Failure:
    return dg.Failure(description=str(error), allow_retries=False)


@dg.op(description="Register the repository and add its partition; the sensor indexes it.")
def record_repository(
    context: dg.OpExecutionContext, config: RegisterConfig, db: DatabaseResource,
    code_graph_settings: CodeGraphResource,
) -> str:  # fmt: skip
    try:
        key = registry.register(
            db.engine, config.tenant, config.repository, config.path, code_graph_settings.roots()
        )
    except BadRepository as error:
        raise _failure(error) from error
    context.instance.add_dynamic_partitions(code_repositories.name, [key])
    context.log.info(f"[tenant={config.tenant} repo={config.repository}] registered as {key}")
    context.add_output_metadata({"partition_key": key})
    return key


@dg.job(
    executor_def=dg.in_process_executor,
    description="Register a repository (tenant, id, path) for the code graph.",
)
def register_repository() -> None:
    record_repository()


@dg.op(description="Remove the repository, every row of its graph, and its partition.")
def remove_repository(
    context: dg.OpExecutionContext, config: UnregisterConfig, db: DatabaseResource
) -> None:
    try:
        removed = registry.unregister(db.engine, config.tenant, config.repository)
    except BadRepository as error:
        raise _failure(error) from error
    key = f"{config.tenant}.{config.repository}"
    if context.instance.has_dynamic_partition(code_repositories.name, key):
        context.instance.delete_dynamic_partition(code_repositories.name, key)
    context.log.info(f"[tenant={config.tenant} repo={config.repository}] removed {removed}")
    context.add_output_metadata({table: count for table, count in removed.items()})


@dg.job(
    executor_def=dg.in_process_executor,
    description="Unregister a repository: its rows in every code table and its partition go.",
)
def unregister_repository() -> None:
    remove_repository()
