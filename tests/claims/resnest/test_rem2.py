

def test_yun_sec32_data_give_a_certified_non_monotone_global_minimum():
    from resproof.claims.resnest.rem2 import yun_sec32_data_on_scalar_resnest

    found = yun_sec32_data_on_scalar_resnest(restarts=8, seed=0)
    assert found["risk"] < 1e-25
    assert found["monotone"] is False
    assert found["certified_non_monotone"] is True
    assert found["linear_risks"][1] > found["linear_risks"][0]
