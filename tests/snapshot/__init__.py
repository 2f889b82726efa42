"""Tests of the snapshot formats (snapshot/): the fuzz targets' bounded
runs over seeds that seeds.py writes from the format descriptions."""
