"""Code that runs in AWS Lambda, packaged by the components that deploy it (one directory per function)."""
