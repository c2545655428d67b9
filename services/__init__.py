"""Domain services of the Yinling platform, one package per deployable service."""
