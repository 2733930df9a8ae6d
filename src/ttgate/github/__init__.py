"""The GitHub integration: the pull request context, the sticky comment, the API client."""
