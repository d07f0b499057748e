"""Bucketlists people share: members with roles, invitations by e-mail, a read-only public link."""
