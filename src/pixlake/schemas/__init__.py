"""The wire: Pydantic request and response models shared by the API and the SDK."""
