"""Code this stack deploys as AWS Lambda functions (each package is shipped on its own; see its package.py)."""
