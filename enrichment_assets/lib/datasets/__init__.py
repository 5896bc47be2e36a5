"""The dataset catalog: Hugging Face and Kaggle records, their clients, the Meta Kaggle readers
and the phases the assets run. Plain Python: nothing here imports dagster; the writes into
`datasets` are in `storage/datasets*.py`."""
