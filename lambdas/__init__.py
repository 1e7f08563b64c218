"""Code this stack deploys as AWS Lambda functions, one package per function."""
