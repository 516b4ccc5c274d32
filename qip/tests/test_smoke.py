from django.urls import reverse


def test_home_shows_organisation_and_only_the_managers_locations(client, manager, home, branch):
    client.force_login(manager)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Example Care Group" in body
    assert "Oak House" in body
    assert "Riverside Homecare" not in body
