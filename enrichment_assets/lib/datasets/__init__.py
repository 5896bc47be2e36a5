"""The dataset catalog: Hugging Face and Kaggle records, their clients, the Meta Kaggle reader
and the writes into `datasets`. Plain Python: nothing here imports dagster."""
