"""The pixlake SDK: the Picsellia v4 SDK's classes over pixlake's HTTP API."""

from pixlake.sdk._http import DEFAULT_HOST, Connection
from pixlake.sdk.client import Client
from pixlake.sdk.datalake import Datalake, Picture, PictureRecord

__all__ = ["DEFAULT_HOST", "Client", "Connection", "Datalake", "Picture", "PictureRecord"]
