"""Upstream-compatible module: ``from pixlake.client import Client`` as in
``from picsellia.client import Client``; nested names resolve (``Client.Datalake.Picture``)."""

from pixlake.sdk import Client, Datalake, Dataset, Experiment, Network, Picture, Project

__all__ = ["Client", "Datalake", "Dataset", "Experiment", "Network", "Picture", "Project"]
