"""The pixlake SDK: the Picsellia v4 SDK's classes over pixlake's HTTP API."""

from pixlake.sdk._base import Context
from pixlake.sdk._http import DEFAULT_HOST, Connection
from pixlake.sdk._records import DatasetRecord, PictureRecord
from pixlake.sdk.client import Client
from pixlake.sdk.datalake import Datalake, Picture
from pixlake.sdk.dataset import Dataset
from pixlake.sdk.experiment import Experiment
from pixlake.sdk.network import Network, NetworkRecord
from pixlake.sdk.project import Project

__all__ = [
    "DEFAULT_HOST",
    "Client",
    "Connection",
    "Context",
    "Datalake",
    "Dataset",
    "DatasetRecord",
    "Experiment",
    "Network",
    "NetworkRecord",
    "Picture",
    "PictureRecord",
    "Project",
]
